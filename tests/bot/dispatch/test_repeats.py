"""Repeat linking: precision on a hand-written set of pairs, and linking at submit time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.dispatch.repeats import RepeatFacts, is_repeat
from bot.store.db import session_scope
from bot.tickets.service import citizen_view, submit_ticket
from tests.bot.dispatch.factories import fresh_db, make_ticket

DATA = Path(__file__).resolve().parents[2] / "data" / "repeats.jsonl"


def evaluate() -> dict[str, float]:
    """Precision and recall of `is_repeat` on tests/data/repeats.jsonl."""
    tp = fp = fn = tn = 0
    for line in DATA.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        pred = is_repeat(RepeatFacts(**case["a"]), RepeatFacts(**case["b"]))
        tp += pred and case["same"]
        fp += pred and not case["same"]
        fn += (not pred) and case["same"]
        tn += (not pred) and not case["same"]
    return {"pairs": tp + fp + fn + tn, "precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn)}


def test_precision_on_the_pair_set() -> None:
    """Linking must be precise (a wrong link hides a different problem); recall matters less."""
    result = evaluate()
    assert result["pairs"] >= 40
    assert result["precision"] >= 0.95
    assert result["recall"] >= 0.8


def test_repeat_joins_the_open_case_and_the_citizen_sees_it(tmp_path) -> None:  # noqa: ANN001
    """A second caller about the same lift is linked; a third about another unit of the building is not."""
    url = fresh_db(tmp_path)
    with session_scope(url) as db:
        first = submit_ticket(db, make_ticket(l2="住房保障与房地产", district="石景山区", street="八角街道",
                                              raw="八角北里25号楼2单元", summary="电梯坏了一周了，物业不修"),
                              session_id=None)
        second = submit_ticket(db, make_ticket(l2="住房保障与房地产", district="石景山区", street="八角街道",
                                               raw="八角北里25号楼2单元", summary="单元电梯停运好几天，物业一直没修好",
                                               phone="13800001111"), session_id=None)
        other = submit_ticket(db, make_ticket(l2="住房保障与房地产", district="石景山区", street="八角街道",
                                              raw="八角北里25号楼4单元", summary="电梯坏了一周了，物业不修"),
                              session_id=None)
        assert (first.status, second.status, other.status) == ("submitted", "merged", "submitted")
        view = citizen_view(db, second.ticket_no, "1111")
        assert view["merged_into"] == first.ticket_no and view["case"]["ticket_no"] == first.ticket_no
        assert "已并入" in view["timeline"][-1]["note"]
        assert citizen_view(db, first.ticket_no, "5678")["repeat_count"] == 1


@pytest.mark.parametrize("hours", [0])
def test_window_is_configurable(tmp_path, monkeypatch, hours: int) -> None:  # noqa: ANN001
    """With the window set to zero, nothing is linked."""
    from bot.config import get_settings

    monkeypatch.setenv("HOTLINE_REPEAT_WINDOW_HOURS", str(hours))
    get_settings.cache_clear()
    url = fresh_db(tmp_path)
    with session_scope(url) as db:
        submit_ticket(db, make_ticket(), session_id=None)
        assert submit_ticket(db, make_ticket(), session_id=None).status == "submitted"
    assert timedelta(hours=hours) == timedelta(0)
