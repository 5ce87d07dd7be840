"""Measure grounded answering on the offline engine.

    .venv/bin/python scripts/eval_answers.py services --kb ../shared/eval/service_kb \
        --questions ../shared/eval/service_questions_dev.json --not-in-base scripts/data/service_not_in_base.jsonl
    .venv/bin/python scripts/eval_answers.py replies --replies ../shared/eval/replies_dev.jsonl
    .venv/bin/python scripts/eval_answers.py own --split test      # the project's own sets, held-out styles
    .venv/bin/python scripts/eval_answers.py own --split fresh     # a second held-out split (own wordings, neighbours)
    .venv/bin/python scripts/eval_answers.py report --data ../shared/eval --out eval-results/answers.md

Each run ingests into its own data dir (reused when it already holds the base) and prints a Markdown report.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True)
FOCUSED_CHARS = 150


def _answerer(data_dir: Path, kb_dirs: list[Path]):  # noqa: ANN202
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("OPENAI_BASE_URL", None)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    from bot.config import get_settings
    from connectors.runtime import Runtime

    get_settings.cache_clear()
    runtime = Runtime()
    report = runtime.knowledge_base.ingest_paths(kb_dirs, show_progress=True)
    print(f"<!-- ingested: added {report.count('added')}, unchanged {report.count('unchanged')} -->",
          file=sys.stderr)
    return runtime.answerer


def states_fact(answer: str, expect: dict) -> bool:
    """The expected fact in the shapes the dev set uses."""
    if "any_of" in expect:
        return any(item in answer for item in expect["any_of"])
    if "substring_of" in expect:
        return expect["substring_of"] in answer
    if "any_digits" in expect:
        digits = re.sub(r"\D", "", answer)
        return any(d in digits for d in expect["any_digits"])
    if "number_with_unit" in expect:
        return re.search(rf"(?<!\d){re.escape(expect['number_with_unit'])}(?!\d)", answer) is not None
    raise ValueError(f"unknown expectation {expect}")


@app.command()
def services(
    kb: Annotated[Path, typer.Option(help="folder of service items")],
    questions: Annotated[Path, typer.Option(help="JSON list of {question, doc_id, kind, expect}")],
    not_in_base: Annotated[Path, typer.Option(help="JSONL of questions about services not in the base")],
    data_dir: Annotated[Path, typer.Option(help="data dir to ingest into")] = Path(tempfile.gettempdir()) / "hotline-eval-services",
) -> None:
    """Focused-correct share, right item in the top 3 citations, and not-in-base refusals."""
    answerer = _answerer(data_dir, [kb])
    items = json.loads(questions.read_text(encoding="utf-8"))
    focused = top3 = first = 0
    by_kind: dict[str, list[int]] = {}
    latencies: list[float] = []
    misses = []
    for item in items:
        start = time.perf_counter()
        result = answerer.answer(item["question"])
        latencies.append(time.perf_counter() - start)
        short = len(result.answer) <= FOCUSED_CHARS or item["kind"] == "materials"
        correct = result.grounded and short and states_fact(result.answer, item["expect"])
        in_top3 = item["doc_id"] in [c.doc_id for c in result.citations[:3]]
        focused += correct
        top3 += in_top3
        first += result.grounded and [c.doc_id for c in result.citations[:1]] == [item["doc_id"]]
        by_kind.setdefault(item["kind"], [0, 0])
        by_kind[item["kind"]][0] += correct
        by_kind[item["kind"]][1] += 1
        if not correct:
            misses.append((item["question"], result.answer[:120].replace("\n", " ")))
    outside = [json.loads(line) for line in not_in_base.read_text(encoding="utf-8").splitlines() if line.strip()]
    refused = sum(not answerer.answer(q["question"]).grounded for q in outside)
    n = len(items)
    print(f"## Service questions ({n} dev questions, {len(outside)} not-in-base questions)\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| focused-correct (fact stated, ≤{FOCUSED_CHARS} chars except materials) | {focused / n:.3f} |")
    print(f"| answered on the right item (grounded, first citation) | {first / n:.3f} |")
    print(f"| right item in top-3 citations | {top3 / n:.3f} |")
    print(f"| not-in-base marked ungrounded | {refused / len(outside):.3f} |")
    latencies.sort()
    print(f"| answer latency p50 / p95 (ms) | {latencies[n // 2] * 1000:.0f} / {latencies[int(n * 0.95)] * 1000:.0f} |")
    print("\n| kind | focused-correct | n |\n| --- | --- | --- |")
    for kind, (ok, total) in sorted(by_kind.items()):
        print(f"| {kind} | {ok / total:.3f} | {total} |")
    if misses:
        print("\nMisses:\n")
        for question, answer in misses:
            print(f"- {question} → {answer}")


@app.command()
def replies(
    replies: Annotated[Path, typer.Option(help="JSONL of {id, title, text, reply}")],
    data_dir: Annotated[Path, typer.Option(help="data dir to ingest into")] = Path(tempfile.gettempdir()) / "hotline-eval-replies",
) -> None:
    """Make the official replies a knowledge base; ask with each citizen's message; recall@1 and @5."""
    rows = [json.loads(line) for line in replies.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = data_dir.parent / (data_dir.name + "-docs")
    docs.mkdir(parents=True, exist_ok=True)
    for n, row in enumerate(rows):
        (docs / f"reply-{n}.md").write_text(row["reply"], encoding="utf-8")
    answerer = _answerer(data_dir, [docs])
    hits = {"fused": [0, 0], "dense": [0, 0]}
    grounded = 0
    for n, row in enumerate(rows):
        query = f"{row.get('title', '')}\n{row['text']}".strip()
        result = answerer.answer(query)
        # Retrieval's own ranking: a refusal cites nothing, yet the reply may still be found. Plain dense
        # retrieval on the same query, in the same run, is the part fusion must not be worse than.
        for name, ranked in (("fused", fused_docs(answerer.retriever, query)),
                             ("dense", dense_only(answerer.retriever, query))):
            hits[name][0] += ranked[:1] == [f"reply-{n}"]
            hits[name][1] += f"reply-{n}" in ranked[:5]
        grounded += result.grounded
    total = len(rows)
    print(f"## Official replies as a knowledge base ({total} messages)\n")
    print("| measure | fused (shipped) | dense only |\n| --- | --- | --- |")
    print(f"| recall@1 | {hits['fused'][0] / total:.3f} | {hits['dense'][0] / total:.3f} |")
    print(f"| recall@5 | {hits['fused'][1] / total:.3f} | {hits['dense'][1] / total:.3f} |")
    print(f"| answered as grounded | {grounded / total:.3f} | |")


OWN = Path(__file__).resolve().parents[1] / "tests" / "data" / "eval_answers"
SAMPLES = Path(__file__).resolve().parents[1] / "knowledge_base" / "samples"
LONG_KINDS = ("materials", "procedure")
_PHONE_NUMBER = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\d{5,6}|400-?\d{3}-?\d{4})(?!\d)")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def own_base_answerer(data_dir: Path):  # noqa: ANN201
    """The answerer over the sample base plus the evaluation fixture base."""
    return _answerer(data_dir, [SAMPLES, OWN / "fixture_kb"])


def judge(item: dict, result) -> dict:  # noqa: ANN001
    """Is one answer right: grounded, on the right item, stating the fact, focused, of the field's type."""
    short = len(result.answer) <= FOCUSED_CHARS or item["kind"] in LONG_KINDS
    cited = [c.doc_id for c in result.citations]
    typed = item["kind"] != "phone" or not result.grounded or bool(_PHONE_NUMBER.search(result.answer))
    right_doc = cited[:1] == [item["doc_id"]]
    correct = result.grounded and right_doc and short and typed and states_fact(result.answer, item["expect"])
    return {"correct": correct, "grounded": result.grounded, "right_doc": right_doc, "typed": typed,
            "top3": item["doc_id"] in cited[:3]}


def dense_only(kb, query: str, k: int = 5) -> list[str]:  # noqa: ANN001
    """Documents in the order plain dense retrieval ranks them (for the never-worse-than-its-parts check)."""
    vector = kb.embedder.embed_query(query)
    docs: list[str] = []
    for chunk, _sim in kb.vectors.search(vector, k=40):
        if chunk.doc_id not in docs:
            docs.append(chunk.doc_id)
    return docs[:k]


def fused_docs(kb, query: str, k: int = 5) -> list[str]:  # noqa: ANN001
    docs: list[str] = []
    for chunk in kb.search(query, top_k=40):
        if chunk.doc_id not in docs:
            docs.append(chunk.doc_id)
    return docs[:k]


def own_figures(answerer, split: str) -> tuple[str, dict]:  # noqa: ANN001
    """Markdown figures on the project's own sets for one split ("test" and "fresh": held out, "tune", or "all")."""
    services = [r for r in _jsonl(OWN / "services.jsonl") if split in ("all", r["split"])]
    absent = [r for r in _jsonl(OWN / "absent.jsonl") if split in ("all", r["split"])]
    stories = [r for r in _jsonl(OWN / "stories.jsonl") if split in ("all", r["split"])]
    by_style: dict[str, list[dict]] = {}
    by_kind: dict[str, list[dict]] = {}
    misses = []
    for item in services:
        result = answerer.answer(item["question"])
        verdict = judge(item, result)
        by_style.setdefault(item["style"], []).append(verdict)
        by_kind.setdefault(item["kind"], []).append(verdict)
        if not verdict["correct"]:
            misses.append((item["question"], item["doc_id"], result.answer[:100].replace("\n", " ")))
    refusals: dict[str, list[bool]] = {}
    wrongly_answered = []
    for item in absent:
        result = answerer.answer(item["question"])
        refusals.setdefault(item["style"], []).append(not result.grounded)
        if result.grounded:
            wrongly_answered.append((item["question"], result.answer[:80].replace("\n", " ")))
    kb = answerer.retriever
    retrieval = {"fused": [0, 0], "dense": [0, 0]}
    for item in stories + services:
        for name, ranked in (("fused", fused_docs(kb, item["question"])), ("dense", dense_only(kb, item["question"]))):
            retrieval[name][0] += ranked[:1] == [item["doc_id"]]
            retrieval[name][1] += item["doc_id"] in ranked[:5]
    n_retrieval = len(stories) + len(services)
    figures: dict = {}
    out = [f"## Own sets, split `{split}` ({len(services)} service questions, {len(absent)} refusal cases, "
           f"{len(stories)} stories)\n",
           "| phrasing style | answered on the right item | answered correctly (fact stated) | n |",
           "| --- | --- | --- | --- |"]
    for style, verdicts in sorted(by_style.items()):
        share = sum(v["correct"] for v in verdicts) / len(verdicts)
        right = sum(v["grounded"] and v["right_doc"] for v in verdicts) / len(verdicts)
        figures[f"correct.{style}"] = share
        figures[f"right_item.{style}"] = right
        out.append(f"| {style} | {right:.3f} | {share:.3f} | {len(verdicts)} |")
    out += ["", "| question kind | answered correctly | n |", "| --- | --- | --- |"]
    for kind, verdicts in sorted(by_kind.items()):
        share = sum(v["correct"] for v in verdicts) / len(verdicts)
        figures[f"kind.{kind}"] = share
        out.append(f"| {kind} | {share:.3f} | {len(verdicts)} |")
    everything = [v for vs in by_style.values() for v in vs]
    out += ["", "| measure | value |", "| --- | --- |"]
    for label, key in (("right item in top-3 citations", "top3"), ("phone answers hold a phone number", "typed")):
        share = sum(v[key] for v in everything) / max(len(everything), 1)
        figures[key] = share
        out.append(f"| {label} | {share:.3f} |")
    for style, flags in sorted(refusals.items()):
        share = sum(flags) / len(flags)
        figures[f"refused.{style}"] = share
        out.append(f"| refused: {style} ({len(flags)}) | {share:.3f} |")
    for name in ("fused", "dense"):
        at1, at5 = (x / n_retrieval for x in retrieval[name])
        figures[f"retrieval.{name}"] = (at1, at5)
        out.append(f"| retrieval recall@1 / @5, {name} ({n_retrieval} queries) | {at1:.3f} / {at5:.3f} |")
    if misses:
        out += ["", "<details><summary>Wrong or refused answers</summary>", ""]
        out += [f"- {q} (`{d}`) → {a}" for q, d, a in misses]
        out += ["", "</details>"]
    if wrongly_answered:
        out += ["", "<details><summary>Answered though absent or off-topic</summary>", ""]
        out += [f"- {q} → {a}" for q, a in wrongly_answered]
        out += ["", "</details>"]
    return "\n".join(out) + "\n", figures


@app.command()
def own(
    split: Annotated[str, typer.Option(help="test or fresh (held-out), tune, or all")] = "test",
    data_dir: Annotated[Path, typer.Option(help="data dir to ingest into")] = Path(tempfile.gettempdir()) / "hotline-eval-own",
) -> None:
    """The project's own sets over the sample and fixture bases."""
    text, _ = own_figures(own_base_answerer(data_dir), split)
    print(text)


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Markdown file to write")] = Path("eval-results/answers.md"),
    data: Annotated[Path | None, typer.Option(help="shared eval folder (service_kb, *_dev files), for reporting")] = None,
    work_dir: Annotated[Path, typer.Option(help="where the eval bases are ingested")] = Path(tempfile.gettempdir()) / "hotline-eval",
) -> None:
    """Every answer figure into one file: own held-out sets, then the shared dev files when `data` is given."""
    import contextlib
    import io

    answerer = own_base_answerer(work_dir / "own")
    sections = [own_figures(answerer, split)[0] for split in ("test", "fresh")]
    if data is not None and (data / "service_kb").is_dir():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            services(kb=data / "service_kb", questions=data / "service_questions_dev.json",
                     not_in_base=Path(__file__).resolve().parent / "data" / "service_not_in_base.jsonl",
                     data_dir=work_dir / "services")
            replies(replies=data / "replies_dev.jsonl", data_dir=work_dir / "replies")
        sections.append(buffer.getvalue())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Answer evaluation\n\n" + "\n".join(sections), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    app()
