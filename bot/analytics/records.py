"""The one record every analysis reads: a request, imported or live, with its vector when it has one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

BEIJING = ZoneInfo("Asia/Shanghai")
DIM = 384


@dataclass(frozen=True)
class Request:
    """One citizen request as the analysis sees it; `id` is the imported id or the ticket number."""

    id: str
    time: datetime | None  # aware
    text: str
    title: str | None = None
    category_l1: str | None = None
    category_l2: str | None = None
    district: str | None = None
    street: str | None = None
    places: tuple[str, ...] = ()
    channel: str = "import"
    status: str | None = None
    source: str = "import"  # import | ticket
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def day(self) -> date | None:
        """The Beijing calendar day it arrived."""
        return self.time.astimezone(BEIJING).date() if self.time else None

    @property
    def full_text(self) -> str:
        """Title and text together."""
        return f"{self.title}。{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Window:
    """The period analysed: Beijing days `start` to `end`, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """The first instant (aware)."""
        return datetime.combine(self.start, time.min, tzinfo=BEIJING)

    @property
    def end_at(self) -> datetime:
        """The instant after the last day (aware, exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BEIJING)

    @property
    def days(self) -> int:
        """How many days it spans."""
        return (self.end - self.start).days + 1

    def holds(self, r: Request) -> bool:
        """True when the request arrived inside the window."""
        return r.time is not None and self.start_at <= r.time < self.end_at


@dataclass
class Finding:
    """One item of a 四高 list: what, where, when, how many, and the requests behind it."""

    label: str
    start: date
    end: date
    request_ids: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many requests are behind it."""
        return len(self.request_ids)

    def to_json(self) -> dict[str, Any]:
        """The contract's shape: label, start, end, count, request_ids, then the details."""
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "count": self.count, "request_ids": list(self.request_ids), **self.details}


def span(records: Sequence[Request]) -> tuple[date, date]:
    """The first and last day among records (which must have times)."""
    days = [r.day for r in records if r.day is not None]
    return min(days), max(days)  # type: ignore[type-var]


def matrix(records: Sequence[Request]) -> tuple[np.ndarray, np.ndarray]:
    """The vectors of the records that have one, and their indexes into `records`."""
    idx = np.array([i for i, r in enumerate(records) if r.vector is not None], dtype=np.int64)
    if not len(idx):
        return np.zeros((0, DIM), dtype=np.float32), idx
    return np.vstack([records[i].vector for i in idx]).astype(np.float32), idx


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def utc(value: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
