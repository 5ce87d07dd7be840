"""Fit the grounding model (bot/resources/grounding_model.json) on the tune split of the own answer sets.

    .venv/bin/python scripts/tune_grounding.py            # features, grouped 5-fold CV, fit, write the model

Only rows of split `tune` in tests/data/eval_answers are read (styles plain, polite, partial, everyday; absent,
near, everyday-absent and off-topic questions). Folds are grouped by item, so no item is both fitted and
judged. The CV table picks `answer.min_grounded_probability` (thresholds.yaml): the cut-off with the best mean
of "answered on the right item" and "refused when the base lacks the item", with the hard veto of
bot/answer/grounding.py applied (a candidate lacking characters of the item the question names is refused).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_answers import OWN, _jsonl, own_base_answerer  # noqa: E402

app = typer.Typer(add_completion=False)
FEATURES = ["dense", "coverage", "clash", "uncovered", "body_bigrams", "title_bigrams", "rule", "top_fused",
            "top_dense", "span_share", "title_cosine", "title_gap", "top_title"]
CUTS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
C = 1.0
# The hard evidence veto of bot/answer/grounding.py: a candidate lacking characters of the named item is refused.
GUARD = True


def tune_rows(data_dir: Path) -> list[dict]:
    """Each tune question with its candidates' features and the right document (None when absent)."""
    from bot.answer import grounding
    from bot.answer.service import TOP_K

    answerer = own_base_answerer(data_dir)
    kb = answerer.retriever
    rows = [(r, r["doc_id"]) for r in _jsonl(OWN / "services.jsonl") if r["split"] == "tune"]
    rows += [(r, None) for r in _jsonl(OWN / "absent.jsonl") if r["split"] == "tune"]
    out = []
    for row, doc_id in rows:
        chunks = kb.search(row["question"], top_k=TOP_K)
        candidates = grounding.candidate_features(row["question"], chunks, weight=kb.term_weight,
                                                  document=kb.document_chunks,
                                                  title_similarity=answerer._title_similarity)
        out.append({"question": row["question"], "style": row["style"], "doc_id": doc_id,
                    "group": doc_id or row.get("item") or row["question"], "candidates": candidates})
    return out


def fit(rows: list[dict]):  # noqa: ANN201
    x = np.array([[c[f] for f in FEATURES] for r in rows for c in r["candidates"]])
    y = np.array([int(c["doc_id"] == r["doc_id"]) for r in rows for c in r["candidates"]])
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, class_weight="balanced")).fit(x, y)


def judged(model, row: dict, cut: float, guard: bool = GUARD) -> bool:  # noqa: ANN001
    """Right: answered from the right document, or refused when the base lacks the item."""
    if not row["candidates"]:
        return row["doc_id"] is None
    p = model.predict_proba(np.array([[c[f] for f in FEATURES] for c in row["candidates"]]))[:, 1]
    best = int(np.argmax(p))
    accepted = p[best] >= cut and (not guard or row["candidates"][best]["uncovered"] == 0)
    return not accepted if row["doc_id"] is None else accepted and row["candidates"][best]["doc_id"] == row["doc_id"]


@app.command()
def main(
    out: Annotated[Path, typer.Option(help="model file")] = Path(__file__).resolve().parents[1] / "bot" / "resources" / "grounding_model.json",
    data_dir: Annotated[Path, typer.Option()] = Path(tempfile.gettempdir()) / "hotline-eval-own",
) -> None:
    rows = tune_rows(data_dir)
    groups = sorted({r["group"] for r in rows})
    random.Random(1).shuffle(groups)
    folds = [set(groups[i::5]) for i in range(5)]
    results: dict[float, dict[str, list[bool]]] = {cut: {} for cut in CUTS}
    for fold in folds:
        model = fit([r for r in rows if r["group"] not in fold])
        for row in (r for r in rows if r["group"] in fold):
            for cut in CUTS:
                results[cut].setdefault(row["style"], []).append(judged(model, row, cut))
    styles = sorted({r["style"] for r in rows})
    print("| cut | " + " | ".join(styles) + " | answered | refused | mean |")
    print("| --- " * (len(styles) + 4) + "|")
    best_cut, best_mean = CUTS[0], -1.0
    for cut, by_style in results.items():
        present = [ok for s, oks in by_style.items() if s in ("plain", "polite", "partial", "everyday") for ok in oks]
        absent = [ok for s, oks in by_style.items() if s not in ("plain", "polite", "partial", "everyday") for ok in oks]
        answered, refused = sum(present) / len(present), sum(absent) / len(absent)
        mean = (answered + refused) / 2
        if mean > best_mean:
            best_cut, best_mean = cut, mean
        cells = " | ".join(f"{sum(by_style[s]) / len(by_style[s]):.3f}" for s in styles)
        print(f"| {cut} | {cells} | {answered:.3f} | {refused:.3f} | {mean:.3f} |")
    print(f"\nbest cut by the mean: {best_cut} (set answer.min_grounded_probability in thresholds.yaml)")
    model = fit(rows)
    scaler, regression = model[0], model[-1]
    out.write_text(json.dumps({
        "about": "Logistic regression: is a retrieved document the item a question asks about "
                 "(bot/answer/grounding.py). Fitted by scripts/tune_grounding.py on the tune split of "
                 f"tests/data/eval_answers, {date.today().isoformat()}; C={C}, balanced classes.",
        "features": FEATURES, "mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
        "coef": regression.coef_[0].round(6).tolist(), "intercept": round(float(regression.intercept_[0]), 6),
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    app()
