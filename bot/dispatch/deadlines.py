"""Deadlines by urgency and request type, counted in working days on the Chinese holiday calendar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import InvalidConfig

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
BEIJING = timezone(timedelta(hours=8), "CST")  # China keeps one offset all year


class HolidaySpan(BaseModel):
    """A run of days off."""

    model_config = ConfigDict(extra="forbid")

    name: str
    from_: date = Field(alias="from")
    to: date


class HolidayYear(BaseModel):
    """One year's notice."""

    model_config = ConfigDict(extra="forbid")

    provisional: bool = False
    holidays: list[HolidaySpan] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class HolidayFile(BaseModel):
    """The calendar file."""

    model_config = ConfigDict(extra="forbid")

    years: dict[int, HolidayYear]


class Calendar:
    """Working days: Monday to Friday, minus public holidays, plus make-up working days."""

    def __init__(self, data: HolidayFile) -> None:
        self.off: dict[date, str] = {}
        self.on: set[date] = set()
        self.years = set(data.years)
        problems: list[str] = []
        for year, spec in data.years.items():
            for span in spec.holidays:
                if span.to < span.from_:
                    problems.append(f"{year} 年 {span.name} 的结束日期早于开始日期")
                if span.from_.year != year or span.to.year != year:
                    problems.append(f"{span.name}（{span.from_}）不在 {year} 年")
                day = span.from_
                while day <= span.to:
                    self.off[day] = span.name
                    day += timedelta(days=1)
            for day in spec.workdays:
                if day.weekday() < 5:
                    problems.append(f"调休上班日 {day} 不是周末")
                if day in self.off:
                    problems.append(f"{day} 既是假日又是调休上班日")
                self.on.add(day)
        if problems:
            raise InvalidConfig("节假日日历有误：" + "；".join(problems))

    def is_working_day(self, day: date) -> bool:
        """True on days government offices work."""
        if day in self.on:
            return True
        if day in self.off:
            return False
        if day.year not in self.years:
            log.warning("holiday calendar does not cover %s; counting weekends only", day.year)
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted)."""
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def load_calendar(path: Path | None = None) -> Calendar:
    """The holiday calendar from a file (default: the shipped one)."""
    path = path or RESOURCES / "holidays.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Calendar(HolidayFile.model_validate(raw))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidConfig(f"节假日日历 {path.name} 格式不正确：{exc}") from exc


class DeadlineMatch(BaseModel):
    """Conditions of a deadline rule; an empty match is the default."""

    model_config = ConfigDict(extra="forbid")

    urgency: list[str] = Field(default_factory=list)
    intent: list[str] = Field(default_factory=list)
    category_l1: list[str] = Field(default_factory=list)
    category_l2: list[str] = Field(default_factory=list)


class DeadlineRule(BaseModel):
    """Exactly one of `hours` or `working_days`."""

    model_config = ConfigDict(extra="forbid")

    id: str
    description: str = ""
    match: DeadlineMatch = Field(default_factory=DeadlineMatch)
    hours: float | None = Field(None, gt=0)
    working_days: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_measure(self) -> DeadlineRule:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError(f"时限规则 {self.id} 必须且只能设置 hours 或 working_days 之一")
        return self


class DeadlinePolicy(BaseModel):
    """The deadline file."""

    model_config = ConfigDict(extra="forbid")

    version: str
    working_day_end: time = time(18, 0)
    rules: list[DeadlineRule]

    @field_validator("version", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return str(value)

    @model_validator(mode="after")
    def _has_default(self) -> DeadlinePolicy:
        if not self.rules or any(v for v in self.rules[-1].match.model_dump().values()):
            raise ValueError("最后一条时限规则必须是无条件的默认规则")
        return self


@dataclass(frozen=True)
class Deadline:
    """When a ticket must be done, and which rule said so."""

    due_at: datetime
    rule_id: str
    description: str


class Deadlines:
    """Computes deadlines from a policy and a calendar."""

    def __init__(self, policy: DeadlinePolicy, calendar: Calendar) -> None:
        self.policy = policy
        self.calendar = calendar

    def compute(self, *, submitted_at: datetime, urgency: str | None, intent: str | None,
                category_l1: str | None = None, category_l2: str | None = None) -> Deadline:
        """The deadline of a ticket submitted at `submitted_at`."""
        facts = {"urgency": urgency, "intent": intent, "category_l1": category_l1, "category_l2": category_l2}
        for rule in self.policy.rules:
            if all(not allowed or facts[field] in allowed for field, allowed in rule.match.model_dump().items()):
                break
        if submitted_at.tzinfo is None:
            submitted_at = submitted_at.replace(tzinfo=UTC)
        if rule.hours is not None:
            due = submitted_at + timedelta(hours=rule.hours)
        else:
            local_day = submitted_at.astimezone(BEIJING).date()
            day = self.calendar.add_working_days(local_day, rule.working_days or 0)
            due = datetime.combine(day, self.policy.working_day_end, tzinfo=BEIJING)
        return Deadline(due.astimezone(UTC), rule.id, rule.description)


def load_deadlines(*, deadlines_file: Path | None = None, holidays_file: Path | None = None,
                   overrides_dir: Path | None = None) -> Deadlines:
    """Deadlines from explicit files, else the admin's overrides, else the shipped defaults."""

    def pick(explicit: Path | None, name: str) -> Path:
        if explicit is not None:
            return explicit
        if overrides_dir is not None and (overrides_dir / name).exists():
            return overrides_dir / name
        return RESOURCES / name

    path, holidays = pick(deadlines_file, "deadlines.yaml"), pick(holidays_file, "holidays.yaml")
    key = (path, path.stat().st_mtime_ns, holidays, holidays.stat().st_mtime_ns)
    if key in _cache:
        return _cache[key]
    try:
        policy = DeadlinePolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidConfig(f"时限配置 {path.name} 不正确：{exc}") from exc
    _cache[key] = Deadlines(policy, load_calendar(holidays))
    return _cache[key]


_cache: dict[tuple[Path, int, Path, int], Deadlines] = {}
