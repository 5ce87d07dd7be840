"""The delivery worker: claims due outbox rows, delivers them, records the outcome; flags overdue tickets
and pulls statuses from backends that cannot call back.

Run it in-process (`serve` with HOTLINE_WORKER=on) or as its own process (`hotline worker`); any number
of workers may run against one database, the outbox lease keeps each row with one of them at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import metrics
from bot.config import Settings
from bot.dispatch import outbox
from bot.dispatch.outbox import Claimed
from bot.dispatch.ports import DeliveryRejected, DeliveryResult, Dispatcher, DispatchMessage
from bot.dispatch.tables import TicketAssignment
from bot.errors import BackendUnavailable
from bot.notify.base import NotifierRegistry
from bot.pii import mask
from bot.store.db import session_scope, utcnow
from bot.store.tables import TicketRow
from bot.tickets.lifecycle import OPEN, add_note, local_text, transition
from bot.tickets.models import TicketStatus

log = logging.getLogger(__name__)
REDISPATCHABLE = (TicketStatus.SUBMITTED, TicketStatus.RETURNED, TicketStatus.REOPENED)


@dataclass
class Outcome:
    """What happened to one claimed row."""

    claimed: Claimed
    result: DeliveryResult | None = None
    error: str | None = None
    permanent: bool = False
    latency_s: float = 0.0


@dataclass
class WorkerStats:
    """Counters for logs and the benchmark."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    lost_claims: int = 0
    latencies: list[float] = field(default_factory=list)


class Worker:
    """Delivers the outbox with one dispatcher and the citizen notifiers."""

    def __init__(self, *, db_url: str, dispatcher: Dispatcher, notifiers: NotifierRegistry, settings: Settings,
                 worker_id: str | None = None) -> None:
        self.db_url = db_url
        self.dispatcher = dispatcher
        self.notifiers = notifiers
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stats = WorkerStats()
        self._pool = ThreadPoolExecutor(max_workers=settings.worker_concurrency, thread_name_prefix="deliver")
        self._next_overdue = 0.0
        self._next_sync = 0.0

    # --- one pass -------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim and deliver one batch; returns how many rows were handled."""
        with session_scope(self.db_url) as db:
            claimed = outbox.claim_due(db, worker_id=self.worker_id, limit=self.settings.worker_batch,
                                       lease_s=self.settings.dispatch_lease_s)
        if claimed:
            # Rows for one recipient go out in order (a citizen must not hear "in progress" after
            # "resolved"); different recipients and tickets go out in parallel.
            groups: dict[str, list[Claimed]] = {}
            for row in claimed:
                groups.setdefault(_order_key(row), []).append(row)
            outcomes = [o for group in self._pool.map(self._deliver_in_order, groups.values()) for o in group]
            self._record(outcomes)
        self._periodic()
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; sleeps only when there is nothing due."""
        log.info("delivery worker %s started (backend %s)", self.worker_id, self.dispatcher.name)
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # the loop must survive a bad batch; the rows stay claimed until their lease ends
                log.exception("delivery pass failed")
                handled = 0
            if handled == 0:
                stop.wait(self.settings.worker_poll_s)
        self._pool.shutdown(wait=True)
        log.info("delivery worker %s stopped", self.worker_id)

    # --- delivery -------------------------------------------------------------------------
    def _deliver_in_order(self, rows: list[Claimed]) -> list[Outcome]:
        return [self._deliver(row) for row in rows]

    def _deliver(self, claimed: Claimed) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome(claimed)
        try:
            if claimed.topic == "dispatch":
                message = DispatchMessage.model_validate(claimed.payload["message"])
                outcome.result = self.dispatcher.deliver(message)
            elif claimed.topic == "notify":
                p = claimed.payload
                self.notifiers.send(p["channel"], p["recipient"], p["message"])
                outcome.result = DeliveryResult()
            else:
                raise DeliveryRejected(f"unknown outbox topic {claimed.topic}")
        except DeliveryRejected as exc:
            outcome.error, outcome.permanent = str(exc), True
        except BackendUnavailable as exc:
            outcome.error = str(exc)
        except Exception as exc:  # unknown failures are retried; the attempt cap ends a poison row
            log.exception("unexpected delivery failure for outbox row %s", claimed.id)
            outcome.error = f"{exc.__class__.__name__}: {exc}"
        outcome.latency_s = time.perf_counter() - started
        return outcome

    def _record(self, outcomes: list[Outcome]) -> None:
        s = self.settings
        with session_scope(self.db_url) as db:
            for o in outcomes:
                c = o.claimed
                metrics.DELIVERY_SECONDS.labels(c.topic).observe(o.latency_s)
                metrics.DELIVERIES.labels(c.topic, "ok" if o.error is None else
                                          ("rejected" if o.permanent else "failed")).inc()
                if o.error is None and o.result is not None:
                    if outbox.finish(db, c, result=o.result.model_dump(mode="json")):
                        self.stats.delivered += 1
                        self.stats.latencies.append(o.latency_s)
                        if c.topic == "dispatch":
                            try:
                                with db.begin_nested():
                                    self._after_dispatch(db, c, o.result)
                            except Exception:
                                log.exception("post-delivery update failed for %s", c.ticket_no)
                    else:
                        self.stats.lost_claims += 1
                        log.warning("outbox row %s: claim expired before delivery was recorded", c.id)
                    continue
                state = outbox.fail(db, c, error=o.error or "unknown", permanent=o.permanent,
                                    max_attempts=s.dispatch_max_attempts, base_s=s.dispatch_backoff_base_s,
                                    max_s=s.dispatch_backoff_max_s)
                if state == outbox.DEAD:
                    self.stats.dead += 1
                    log.error("outbox row %s (%s) moved to dead letters: %s", c.id, c.ticket_no, mask(o.error or ""))
                else:
                    self.stats.retried += 1
                    log.info("outbox row %s attempt %s failed, will retry: %s", c.id, c.attempts + 1,
                             mask(o.error or ""))

    def _after_dispatch(self, db: Session, claimed: Claimed, result: DeliveryResult) -> None:
        """The ticket reached its unit: remember the backend's reference and tell the citizen."""
        row = db.scalar(select(TicketRow).where(TicketRow.ticket_no == claimed.ticket_no))
        if row is None:
            return
        assignment = db.get(TicketAssignment, row.id)
        if assignment is not None:
            assignment.backend = self.dispatcher.name
            if result.external_id:
                assignment.external_id = result.external_id
        if claimed.kind == "ticket.dispatch" and TicketStatus(row.status) in REDISPATCHABLE:
            unit = assignment.unit_name if assignment else "承办单位"
            transition(db, row, TicketStatus.DISPATCHED, actor="system", note=f"已派发至{unit}")

    # --- periodic duties ------------------------------------------------------------------
    def _periodic(self) -> None:
        now = time.monotonic()
        if now >= self._next_overdue:
            self._next_overdue = now + 30
            with session_scope(self.db_url) as db:
                flag_overdue(db, now=utcnow())
        if self.dispatcher.pulls_status and now >= self._next_sync:
            self._next_sync = now + self.settings.open311_status_poll_s
            try:
                self.sync_statuses()
            except BackendUnavailable as exc:
                log.warning("status sync failed: %s", exc)

    def sync_statuses(self) -> int:
        """Pull statuses for open tickets held by a backend without callbacks; returns changes applied."""
        with session_scope(self.db_url) as db:
            pairs = db.execute(
                select(TicketAssignment.external_id, TicketRow.ticket_no)
                .join(TicketRow, TicketRow.id == TicketAssignment.ticket_id)
                .where(TicketAssignment.backend == self.dispatcher.name, TicketAssignment.external_id.is_not(None),
                       TicketRow.status.in_([TicketStatus.DISPATCHED, TicketStatus.ACCEPTED,
                                             TicketStatus.IN_PROGRESS, TicketStatus.REOPENED]))
            ).all()
        by_ref: dict[str, str] = {ext: no for ext, no in pairs if ext}  # noqa: C416
        if not by_ref:
            return 0
        changed = 0
        for update in self.dispatcher.fetch_statuses(list(by_ref)):
            ticket_no = by_ref.get(update.external_id or "")
            if ticket_no is None:
                continue
            with session_scope(self.db_url) as db:
                row = db.scalar(select(TicketRow).where(TicketRow.ticket_no == ticket_no))
                if row is None or row.status == update.status:
                    continue
                try:
                    transition(db, row, update.status, actor=f"backend:{self.dispatcher.name}", note=update.note)
                    changed += 1
                except Exception as exc:  # an out-of-order status is logged, not applied
                    log.info("ignored status %s for %s: %s", update.status, ticket_no, exc)
                    db.rollback()
        return changed


def flag_overdue(db: Session, *, now: datetime, limit: int = 500) -> int:
    """Flag open tickets past their deadline once, with a history entry; returns how many were flagged."""
    rows = db.execute(
        select(TicketRow, TicketAssignment)
        .join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
        .where(TicketAssignment.deadline_at < now, TicketAssignment.overdue_at.is_(None),
               TicketAssignment.merged_into.is_(None), TicketRow.status.in_([s.value for s in OPEN]))
        .limit(limit)
    ).all()
    for row, assignment in rows:
        assignment.overdue_at = now
        add_note(db, row, f"已超过办理时限（{local_text(assignment.deadline_at)}），标记为超期督办", actor="system")
    return len(rows)


def _order_key(row: Claimed) -> str:
    """Rows sharing this key are delivered one after another, oldest first."""
    if row.topic == "notify":
        return f"notify:{row.payload.get('channel')}:{row.payload.get('recipient')}"
    return f"row:{row.id}"
