"""`hotline classify`: one message a line in, its triage and extracted ticket a line out (shared/CONTRACTS.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import BadInput
from bot.store.db import utcnow
from bot.tickets.models import Ticket
from bot.triage.service import TriageResult

# Messages per triage batch: one embedder call each (only for those the cheap components are unsure of);
# large enough to amortise the call, small enough that the progress bar moves and memory stays flat.
BATCH = 128


def classify_command(input: Path, output: Path, *, progress: bool | None = None) -> int:  # noqa: A002 - the contract names the option --input
    """Classify every message in `input` (JSONL) into `output` (JSONL), same order and ids; the count.

    A progress bar goes to stderr when it is a terminal (or when `progress` is True); stdout stays clean."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from connectors.runtime import Runtime

    runtime = Runtime()
    rows = _read(input)
    triage, extractor = runtime.triage, runtime.extractor
    department = _department_lookup(runtime)
    output.parent.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    bar = Progress(TextColumn("分类中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                   disable=not (console.is_terminal if progress is None else progress), transient=True)
    with output.open("w", encoding="utf-8") as out, bar:
        task = bar.add_task("classify", total=len(rows))
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            texts = [str(r.get("text") or "") for r in batch]
            titles = [r.get("title") or None for r in batch]
            results = triage.classify_many(texts, titles=titles)
            for row, text, title, result in zip(batch, texts, titles, results, strict=True):
                now = _message_time(row)
                ticket = extractor.extract(text, now=now, triage=result, channel="cli", title=title)
                out.write(json.dumps(to_line(row.get("id"), ticket, result, department), ensure_ascii=False) + "\n")
            bar.advance(task, len(batch))
    return len(rows)


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path.name} 第 {n} 行不是有效的 JSON：{exc.msg}") from exc
        if not isinstance(row, dict) or "id" not in row:
            raise BadInput(f"{path.name} 第 {n} 行缺少 id 字段")
        rows.append(row)
    return rows


def _message_time(row: dict[str, Any]) -> datetime:
    """The message's own time when the file has one (relative times are normalised against it)."""
    value = row.get("time") or row.get("received_at")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                from zoneinfo import ZoneInfo

                parsed = parsed.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
            return parsed
        except ValueError:
            pass
    return utcnow()


def _department_lookup(runtime: Any):  # noqa: ANN202
    """The responsible unit from the routing table when dispatch ships one, else the taxonomy's department."""
    taxonomy = runtime.triage.taxonomy
    try:
        from bot.dispatch.routing import RouteInput, load_router

        router = load_router(runtime.settings.overrides_dir)
    except Exception:  # noqa: BLE001 - routing is optional here; the taxonomy always has an answer
        router = None

    def lookup(ticket: Ticket, text: str) -> str | None:
        level1 = ticket.category.level1 if ticket.category else None
        level2 = ticket.category.level2 if ticket.category else None
        if router is not None:
            decision = router.route(RouteInput(category_l1=level1, category_l2=level2, district=ticket.location.district,
                                               street=ticket.location.street, intent=ticket.intent, text=text))
            if not decision.manual:
                return decision.unit_name
        return taxonomy.department(level1, level2, district=ticket.location.district) if level1 else None

    return lookup


def to_line(message_id: Any, ticket: Ticket, result: TriageResult, department: Any) -> dict[str, Any]:
    """One output line in the contract's shape; absent facts are null."""
    occurred = ticket.occurred_at
    return {
        "id": message_id,
        "intent": ticket.intent,
        "category": {"level1": ticket.category.level1 if ticket.category else None,
                     "level2": ticket.category.level2 if ticket.category else None},
        "department": department(ticket, ticket.verbatim),
        "urgency": ticket.urgency,
        "ticket": {
            "summary": ticket.summary,
            "location": {"raw": ticket.location.raw, "district": ticket.location.district,
                         "street": ticket.location.street},
            "occurred_at": occurred.start.isoformat() if occurred.start else (occurred.raw or occurred.recurrence),
            "contact_phone": ticket.contact.phone,
        },
    }
