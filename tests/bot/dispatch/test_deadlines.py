"""Deadlines by urgency and type, on the holiday calendar with 调休 make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml

from bot.dispatch.deadlines import BEIJING, Calendar, HolidayFile, load_calendar, load_deadlines
from bot.errors import InvalidConfig


def bj(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A Beijing local time."""
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 1, 1), False), (date(2026, 1, 4), True),  # 元旦, then a Sunday worked
    (date(2026, 2, 14), True), (date(2026, 2, 16), False), (date(2026, 2, 23), False), (date(2026, 2, 24), True),
    (date(2026, 2, 28), True), (date(2026, 5, 9), True), (date(2026, 10, 7), False), (date(2026, 10, 10), True),
    (date(2025, 10, 8), False), (date(2025, 9, 28), True), (date(2026, 3, 7), False), (date(2026, 3, 9), True),
])
def test_calendar(day: date, working: bool) -> None:
    """Public holidays are off, make-up weekends are worked, ordinary weekends are off."""
    assert load_calendar().is_working_day(day) is working


@pytest.mark.parametrize(("submitted", "urgency", "intent", "l2", "rule", "due"), [
    # A complaint on Thursday before Spring Festival: 7 working days skip the nine-day holiday.
    (bj(2026, 2, 12), "normal", "complaint", None, "default", bj(2026, 2, 28, 18)),
    # Consult on the eve of National Day: the next working day is after the holiday.
    (bj(2026, 9, 30, 16), "normal", "consult", None, "consult", bj(2026, 10, 8, 18)),
    (bj(2026, 9, 30, 16), "emergency", "help", None, "emergency", bj(2026, 9, 30, 18)),
    (bj(2026, 10, 3, 9), "urgent", "complaint", None, "urgent", bj(2026, 10, 4, 9)),
    (bj(2026, 1, 10, 9), "normal", "complaint", "冬季采暖", "utility-outage", bj(2026, 1, 11, 9)),
    (bj(2026, 3, 2, 9), "normal", "suggestion", None, "suggestion", bj(2026, 3, 23, 18)),
    # Submitted late on Saturday: counting starts from the Saturday, Monday is day one.
    (bj(2026, 3, 7, 23, 30), "normal", "complaint", None, "default", bj(2026, 3, 17, 18)),
])
def test_deadlines(submitted: datetime, urgency: str, intent: str, l2: str | None, rule: str, due: datetime) -> None:
    """Urgency first, then the type of request; working days on the calendar."""
    d = load_deadlines().compute(submitted_at=submitted.astimezone(UTC), urgency=urgency, intent=intent,
                                 category_l2=l2)
    assert d.rule_id == rule
    assert d.due_at == due.astimezone(UTC)


def test_defaults_are_configurable(tmp_path) -> None:  # noqa: ANN001
    """An override file in the overrides dir replaces the shipped deadlines."""
    (tmp_path / "deadlines.yaml").write_text(yaml.safe_dump({
        "version": "test", "working_day_end": "17:30",
        "rules": [{"id": "all", "match": {}, "working_days": 2}]}), encoding="utf-8")
    d = load_deadlines(overrides_dir=tmp_path).compute(submitted_at=bj(2026, 3, 2), urgency="emergency",
                                                       intent="help")
    assert d.rule_id == "all" and d.due_at == bj(2026, 3, 4, 17, 30).astimezone(UTC)


@pytest.mark.parametrize(("data", "reason"), [
    ({"years": {2026: {"holidays": [], "workdays": ["2026-03-04"]}}}, "不是周末"),
    ({"years": {2026: {"holidays": [{"name": "x", "from": "2026-03-07", "to": "2026-03-07"}],
                       "workdays": ["2026-03-07"]}}}, "既是假日又是调休上班日"),
    ({"years": {2026: {"holidays": [{"name": "x", "from": "2026-03-05", "to": "2026-03-01"}]}}}, "早于"),
])
def test_bad_calendar_is_refused(data: dict, reason: str) -> None:
    """Calendar mistakes are caught at load."""
    with pytest.raises(InvalidConfig, match=reason):
        Calendar(HolidayFile.model_validate(data))


def test_deadline_file_needs_a_default(tmp_path) -> None:  # noqa: ANN001
    """The last rule must catch everything, or some tickets would have no deadline."""
    (tmp_path / "deadlines.yaml").write_text(yaml.safe_dump({
        "version": "x", "rules": [{"id": "e", "match": {"urgency": ["emergency"]}, "hours": 2}]}), encoding="utf-8")
    with pytest.raises(InvalidConfig, match="默认规则"):
        load_deadlines(overrides_dir=tmp_path)
