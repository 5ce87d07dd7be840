"""Service metrics for one period, overall and by channel, category, district and unit.

- direct-reply share: questions the knowledge base answered, of everything handled (answered + tickets);
  dispatch share: tickets of the same total;
- resolution rate: resolved or closed tickets of those not merged; imported history counts by its status;
- satisfaction rate: 满意 + 基本满意 of the rated tickets;
- on-time rate: tickets resolved by their deadline, of those whose deadline has passed or that were resolved,
  with the overdue list;
- handoff rate: sessions handed to an agent, of all sessions;
- unanswered rate: questions the knowledge base could not answer, of all questions, with the top topics.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from bot.analytics.repository import ServiceFacts

RESOLVED = {"resolved", "closed", "已办结", "办结", "已解决", "已回复", "replied", "done", "完成"}
SATISFIED = {"满意", "基本满意"}
UNKNOWN = "未填写"


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def _group_stats(tickets: list[dict[str, Any]], imported: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    live = [t for t in tickets if not t["merged"]]
    resolved = [t for t in live if t["status"] in RESOLVED]
    with_status = [r for r in imported if r.get("status")]
    imported_resolved = [r for r in with_status if str(r["status"]).lower() in RESOLVED]
    rated = [t for t in live if t["rating"]]
    due = [t for t in live if t["deadline_at"] and (t["resolved_at"] or t["deadline_at"] < now)]
    on_time = [t for t in due if t["resolved_at"] and t["resolved_at"] <= t["deadline_at"]]
    return {
        "tickets": len(tickets),
        "imported": len(imported),
        "resolution_rate": _rate(len(resolved) + len(imported_resolved), len(live) + len(with_status)),
        "satisfaction_rate": _rate(sum(t["rating"] in SATISFIED for t in rated), len(rated)),
        "on_time_rate": _rate(len(on_time), len(due)),
        "ticket_ids": [t["id"] for t in tickets] + [r["id"] for r in imported],
    }


def compute(facts: ServiceFacts, *, now: datetime, top: int = 10) -> dict[str, Any]:
    """The metrics dict for report.json and the dashboard (every count with the ids behind it)."""
    tickets, imported = facts.tickets, facts.imported
    ungrounded = min(len(facts.ungrounded), facts.consult_answers)
    grounded = max(facts.consult_answers - ungrounded, 0)
    handled = grounded + len(tickets)
    overall = _group_stats(tickets, imported, now)
    overdue = sorted(
        ({"id": t["id"], "unit": t["unit"], "category_l1": t["category_l1"], "district": t["district"],
          "deadline_at": t["deadline_at"].isoformat(), "summary": t["summary"]}
         for t in tickets if not t["merged"] and t["deadline_at"] and t["status"] not in RESOLVED
         and t["deadline_at"] < now),
        key=lambda o: o["deadline_at"])
    topics: Counter[str] = Counter()
    example: dict[str, str] = {}
    for topic, question in facts.unanswered_topics:
        topics[topic] += 1
        example.setdefault(topic, question)
    by: dict[str, dict[str, Any]] = {}
    for dim in ("channel", "category_l1", "district", "unit"):
        groups_t: dict[str, list] = defaultdict(list)
        groups_i: dict[str, list] = defaultdict(list)
        for t in tickets:
            groups_t[t.get(dim) or UNKNOWN].append(t)
        for r in imported:
            if dim != "unit":
                groups_i[r.get(dim) or UNKNOWN].append(r)
        keys = sorted(set(groups_t) | set(groups_i), key=lambda k: -(len(groups_t[k]) + len(groups_i[k])))
        by[dim] = {k: _group_stats(groups_t[k], groups_i[k], now) for k in keys}
    questions = facts.consult_answers
    return {
        "requests": len(tickets) + len(imported) + grounded,
        "tickets": len(tickets),
        "imported": len(imported),
        "consult_answers": facts.consult_answers,
        "direct_reply_share": _rate(grounded, handled),
        "dispatch_share": _rate(len(tickets), handled),
        "resolution_rate": overall["resolution_rate"],
        "satisfaction_rate": overall["satisfaction_rate"],
        "on_time_rate": overall["on_time_rate"],
        "overdue": overdue,
        "overdue_ids": [o["id"] for o in overdue],
        "handoff_rate": _rate(facts.handoffs, facts.sessions),
        "sessions": facts.sessions,
        "handoffs": facts.handoffs,
        "unanswered_rate": _rate(ungrounded, questions),
        "top_unanswered": [{"topic": k, "count": n, "example": example[k]} for k, n in topics.most_common(top)],
        "by": by,
    }
