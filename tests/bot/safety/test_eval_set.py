"""The emergency evaluation set keeps the shape the issue asks for, and the eval script scores it."""

from __future__ import annotations

from pathlib import Path

from scripts.eval_emergency import load_rows, tally

DATA = Path(__file__).resolve().parents[2] / "data" / "eval_emergency"
KINDS = {"fire", "gas", "electricity", "water", "trapped", "collapse", "chemical", "natural", "medical", "crime",
         "self_harm", "missing_child", "traffic"}


def test_at_least_sixty_of_each_across_every_hazard_kind() -> None:
    rows = load_rows(DATA)
    emergencies = [r for r in rows if r["emergency"]]
    near = [r for r in rows if not r["emergency"]]
    assert len(emergencies) >= 60 and len(near) >= 60
    assert {r["hazard"] for r in emergencies} == KINDS == {r["hazard"] for r in near}
    assert all(r["numbers"] for r in emergencies)
    assert len({r["text"] for r in rows}) == len(rows)


def test_tally_counts_misses_alarms_and_numbers() -> None:
    class Hit:
        kind, numbers = "fire", ("119",)

    rows = [{"text": "a", "emergency": True, "numbers": ["119"]}, {"text": "b", "emergency": True, "numbers": ["120"]},
            {"text": "c", "emergency": True, "numbers": ["110"]}, {"text": "d", "emergency": False}]
    t = tally([(rows[0], Hit()), (rows[1], Hit()), (rows[2], None), (rows[3], Hit())])
    assert (t["flagged"], t["right_number"], t["false_alarms"], t["missed"]) == (2, 1, 1, ["c"])
