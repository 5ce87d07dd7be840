"""Analytics for the dashboard: ticket counts, direct-reply share, per-day trends and hotspots.

Queries stay portable (SQLite and PostgreSQL): plain GROUP BY with func.count; days are bucketed
in Python, in Beijing time, from the stored UTC timestamps.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.desk import calls
from bot.dispatch.tables import TicketAssignment
from bot.store.db import utcnow
from bot.store.tables import ChatMessage, TicketRow, UnansweredQuestion
from connectors.web.deps import AnalystDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

BEIJING = ZoneInfo("Asia/Shanghai")
DONE = ("resolved", "closed", "merged")
UNKNOWN = "未填写"
Days = Annotated[int, Query(ge=1, le=366)]


def _since(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def _grouped(db: Session, column: Any, since: datetime) -> dict[str, int]:
    rows = db.execute(select(column, func.count(TicketRow.id)).where(TicketRow.created_at >= since)
                      .group_by(column))
    counts: Counter[str] = Counter()
    for key, n in rows:
        counts[key or UNKNOWN] += n
    return dict(counts.most_common())


def _day(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).date().isoformat()


@router.get("/summary")
def summary(_staff: AnalystDep, db: DbDep, days: Days = 30) -> dict[str, Any]:
    """Tickets by status, category, district and urgency; direct-reply share; overdue tickets; how call-assist
    suggestions were used."""
    since = _since(days)
    total = db.scalar(select(func.count(TicketRow.id)).where(TicketRow.created_at >= since)) or 0
    consult = db.scalar(select(func.count(ChatMessage.id)).where(
        ChatMessage.role == "bot", ChatMessage.intent == "consult", ChatMessage.created_at >= since)) or 0
    ungrounded = db.scalar(select(func.count(UnansweredQuestion.id)).where(
        UnansweredQuestion.session_id.is_not(None), UnansweredQuestion.created_at >= since)) or 0
    grounded = max(consult - ungrounded, 0)
    handled = grounded + total
    now = utcnow()
    overdue = db.scalar(
        select(func.count(TicketRow.id)).join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
        .where(TicketRow.created_at >= since, TicketAssignment.deadline_at.is_not(None),
               TicketAssignment.deadline_at < now, TicketAssignment.merged_into.is_(None),
               TicketRow.status.not_in(DONE))) or 0
    return {
        "days": days,
        "since": since.isoformat(),
        "tickets_total": total,
        "by_status": _grouped(db, TicketRow.status, since),
        "by_category": _grouped(db, TicketRow.category_l1, since),
        "by_district": _grouped(db, TicketRow.district, since),
        "by_urgency": _grouped(db, TicketRow.urgency, since),
        "consult_answers": consult,
        "grounded_answers": grounded,
        "ungrounded_answers": min(ungrounded, consult),
        "direct_reply_share": round(grounded / handled, 4) if handled else None,
        "overdue": overdue,
        # Call assist: how agents used the suggested replies (as is, edited, discarded).
        "suggestions": calls.suggestion_rates(db, since=since),
    }


@router.get("/trends")
def trends(_staff: AnalystDep, db: DbDep, days: Days = 30) -> dict[str, Any]:
    """Tickets per day (Beijing time) per first-level category, oldest day first."""
    since = _since(days)
    rows = db.execute(select(TicketRow.created_at, TicketRow.category_l1).where(TicketRow.created_at >= since))
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    categories: Counter[str] = Counter()
    for created, category in rows:
        per_day[_day(created)][category or UNKNOWN] += 1
        categories[category or UNKNOWN] += 1
    return {
        "days": days,
        "categories": [c for c, _ in categories.most_common()],
        "series": [{"date": d, "total": sum(c.values()), "by_category": dict(c)} for d, c in sorted(per_day.items())],
    }


@router.get("/hotspots")
def hotspots(_staff: AnalystDep, db: DbDep, days: Days = 30,
             limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """The most frequent (district, street, category) combinations, and repeated reports."""
    since = _since(days)
    n = func.count(TicketRow.id)
    rows = db.execute(
        select(TicketRow.district, TicketRow.street, TicketRow.category_l1, n)
        .where(TicketRow.created_at >= since)
        .group_by(TicketRow.district, TicketRow.street, TicketRow.category_l1)
        .order_by(n.desc(), TicketRow.district, TicketRow.street).limit(limit))
    spots = [{"district": d, "street": s, "category_l1": c, "count": k} for d, s, c, k in rows]

    merged = db.scalar(
        select(func.count(TicketRow.id)).outerjoin(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
        .where(TicketRow.created_at >= since,
               (TicketRow.status == "merged") | TicketAssignment.merged_into.is_not(None))) or 0
    parents = db.execute(
        select(TicketRow.ticket_no, TicketRow.district, TicketRow.street, TicketRow.category_l1, TicketRow.summary,
               TicketRow.status, TicketAssignment.repeat_count)
        .join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
        .where(TicketAssignment.repeat_count > 0, TicketRow.created_at >= since)
        .order_by(TicketAssignment.repeat_count.desc(), TicketRow.id).limit(limit))
    repeats = [{"ticket_no": t, "district": d, "street": s, "category_l1": c, "summary": m, "status": st,
                "repeat_count": r} for t, d, s, c, m, st, r in parents]
    return {"days": days, "hotspots": spots, "merged_count": merged, "repeats": repeats}


# ---- imported history, the 四高 analysis, topics and the weekly report (bot/analytics) ----

DayParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]


def _window(start: str | None, end: str | None):  # noqa: ANN202
    """The Beijing days asked for; by default the last seven days up to today."""
    from datetime import date

    from bot.analytics.records import Window
    from bot.errors import BadInput

    today = utcnow().astimezone(BEIJING).date()
    last = date.fromisoformat(end) if end else today
    first = date.fromisoformat(start) if start else last - timedelta(days=6)
    if last < first or (last - first).days > 366:
        raise BadInput("日期范围无效（最长一年）")
    return Window(first, last)


def _report(runtime: Any, start: str | None, end: str | None) -> dict[str, Any]:
    from bot.analytics import report

    return report.build(runtime.db_url, _window(start, end))


@router.get("/report")
def analytics_report(_staff: AnalystDep, runtime: RuntimeDep, start: Annotated[DayParam, Query(alias="from")] = None,
                     end: Annotated[DayParam, Query(alias="to")] = None) -> dict[str, Any]:
    """The whole analysis for a period: metrics, the 四高 lists, topics and chart data (report.json's shape)."""
    return _report(runtime, start, end)


@router.get("/report.zip")
def analytics_report_zip(_staff: AnalystDep, runtime: RuntimeDep,
                         start: Annotated[DayParam, Query(alias="from")] = None,
                         end: Annotated[DayParam, Query(alias="to")] = None) -> Response:
    """The weekly report's files (report.html, report.md, report.json, charts and CSV) as one zip."""
    import tempfile
    from pathlib import Path

    from bot.analytics import report

    window = _window(start, end)
    content = report.build(runtime.db_url, window)
    with tempfile.TemporaryDirectory() as tmp:
        report.write(content, Path(tmp))
        data = report.zip_dir(Path(tmp))
    name = f"report-{window.start.isoformat()}-{window.end.isoformat()}.zip"
    return Response(data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/requests")
def analytics_requests(_staff: AnalystDep, db: DbDep,
                       ids: Annotated[str, Query(max_length=20000, description="comma-separated ids")]) -> dict[str, Any]:
    """The requests behind a number (drill-down): imported ids or ticket numbers."""
    from bot.analytics.repository import requests_by_id

    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    return {"requests": requests_by_id(db, wanted)}
