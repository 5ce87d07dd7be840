"""The project's own answer evaluation sets keep the shape the held-out figures rely on."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

SETS = Path(__file__).resolve().parents[2] / "data" / "eval_answers"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SETS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_kind_has_thirty_phrasings_and_tune_and_test_styles_are_disjoint() -> None:
    rows = _rows("services.jsonl")
    per_kind = Counter(r["kind"] for r in rows)
    assert min(per_kind.values()) >= 30 and len(per_kind) == 9
    tune = {r["style"] for r in rows if r["split"] == "tune"}
    test = {r["style"] for r in rows if r["split"] == "test"}
    assert tune and test and not tune & test
    assert not {r["question"] for r in rows if r["split"] == "tune"} & {r["question"] for r in rows if r["split"] == "test"}
    fresh = [r for r in rows if r["split"] == "fresh"]
    assert {r["kind"] for r in fresh} == set(per_kind) and not {r["style"] for r in fresh} & (tune | test)
    assert not {r["question"] for r in fresh} & {r["question"] for r in rows if r["split"] != "fresh"}


def test_absent_items_differ_between_tune_and_test_and_exist_in_no_base() -> None:
    rows = _rows("absent.jsonl")
    tune = {r["item"] for r in rows if r["split"] == "tune" and r["item"]}
    test = {r["item"] for r in rows if r["split"] == "test" and r["item"]}
    assert len(tune) >= 15 and len(test) >= 15 and not tune & test
    assert sum(r["style"] == "absent" for r in rows) >= 30
    titles = "".join(p.read_text(encoding="utf-8").splitlines()[0] for p in (SETS / "fixture_kb").glob("*.md"))
    fresh = {r["item"] for r in rows if r["split"] == "fresh" and r["item"]}
    assert len(fresh) >= 25 and not fresh & (tune | test)
    assert not any(item in titles for item in tune | test | fresh)
