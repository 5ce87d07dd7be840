"""Service metrics: shares, rates and the overdue list, from the facts of one period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.analytics.metrics import compute
from bot.analytics.repository import ServiceFacts, service_facts
from bot.store.db import create_schema, session_scope

NOW = datetime(2025, 3, 20, 12, tzinfo=UTC)


def _ticket(no: str, status: str, *, unit: str = "区城管委", deadline_days: int | None = 3,
            resolved_days: int | None = None, rating: str | None = None, channel: str = "web") -> dict:
    created = NOW - timedelta(days=10)
    return {"id": no, "channel": channel, "category_l1": "城乡建设", "district": "海淀区", "unit": unit,
            "status": status, "created_at": created, "merged": status == "merged", "summary": no,
            "deadline_at": created + timedelta(days=deadline_days) if deadline_days is not None else None,
            "resolved_at": created + timedelta(days=resolved_days) if resolved_days is not None else None,
            "rating": rating}


def test_rates_shares_and_the_overdue_list() -> None:
    facts = ServiceFacts(
        tickets=[_ticket("T1", "resolved", resolved_days=2, rating="满意"),
                 _ticket("T2", "closed", resolved_days=5, rating="不满意"),
                 _ticket("T3", "dispatched"),  # deadline passed, not resolved: overdue
                 _ticket("T4", "merged"),
                 _ticket("T5", "in_progress", deadline_days=30, channel="wechat")],
        consult_answers=6, ungrounded=["q1"], unanswered_topics=[("社保补缴", "q1"), ("社保补缴", "q2"), ("护照", "q3")],
        sessions=10, handoffs=2,
        imported=[{"id": "h1", "channel": "import", "category_l1": "城乡建设", "district": "朝阳区", "status": "已办结"},
                  {"id": "h2", "channel": "import", "category_l1": "城乡建设", "district": "朝阳区", "status": None}],
    )
    m = compute(facts, now=NOW)
    assert m["direct_reply_share"] == round(5 / 10, 4) and m["dispatch_share"] == 0.5
    assert m["resolution_rate"] == round(3 / 5, 4)  # T1, T2 and h1 of four live tickets and one imported status
    assert m["satisfaction_rate"] == 0.5
    assert m["on_time_rate"] == round(1 / 3, 4)  # T1 on time; T2 late; T3 overdue; T5 not yet due
    assert m["overdue_ids"] == ["T3"] and m["overdue"][0]["unit"] == "区城管委"
    assert m["handoff_rate"] == 0.2 and m["unanswered_rate"] == round(1 / 6, 4)
    assert m["top_unanswered"][0] == {"topic": "社保补缴", "count": 2, "example": "q1"}
    assert set(m["by"]["channel"]) == {"web", "wechat", "import"}
    assert m["by"]["district"]["朝阳区"]["ticket_ids"] == ["h1", "h2"]
    assert m["by"]["unit"]["区城管委"]["tickets"] == 5


def test_facts_from_an_empty_database(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'm.db'}"
    create_schema(url)
    with session_scope(url) as db:
        facts = service_facts(db, NOW - timedelta(days=7), NOW)
    m = compute(facts, now=NOW)
    assert m["requests"] == 0 and m["direct_reply_share"] is None and m["overdue"] == []
