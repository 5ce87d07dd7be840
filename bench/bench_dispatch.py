"""Outbox benchmark: throughput to a local signed-webhook receiver, and delivery latency idle and under backlog.

    .venv/bin/python bench/bench_dispatch.py --out bench/results/dispatch.json

Tickets go through the real `submit_ticket` (routing, deadline, repeat check, outbox row in one
transaction); the worker is the real one with the default settings; the receiver is the test suite's
webhook receiver (signature check, idempotency de-duplication) in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-0123456789"
DISTRICTS = ["海淀区", "朝阳区", "西城区", "东城区", "丰台区", "通州区", "昌平区", "大兴区"]


def start_receiver() -> tuple[subprocess.Popen, str]:
    """The webhook receiver in its own process; returns it and its URL."""
    code = ("import sys,time; from tests.fakes.webhook_receiver import WebhookReceiver; "
            f"r = WebhookReceiver(secret={SECRET!r}).start(); print(r.port, flush=True); time.sleep(10**6)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    port = int(proc.stdout.readline())  # type: ignore[union-attr]
    return proc, f"http://127.0.0.1:{port}/hook"


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    if not values:
        return float("nan")
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(q * len(values)))], 1)


def main() -> None:
    """Run the three measurements and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "dispatch.json")
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=100, help="tickets for the idle-latency probe")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    receiver, url = start_receiver()
    os.environ.update({"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_DISPATCH_BACKEND": "webhook",
                       "HOTLINE_WEBHOOK_URL": url, "HOTLINE_WEBHOOK_SECRET": SECRET, "HOTLINE_WORKER": "off"})
    from sqlalchemy import select

    from bot.dispatch.tables import OutboxRow
    from bot.store.db import session_scope
    from bot.tickets.models import Category, Contact, Location, Ticket
    from bot.tickets.service import submit_ticket
    from connectors.runtime import Runtime

    runtime = Runtime()
    settings = runtime.settings
    counter = iter(range(10**9))

    def ticket() -> Ticket:
        i = next(counter)
        return Ticket(intent="complaint", summary=f"第{i}号楼前路灯不亮", verbatim=f"第{i}号楼前路灯不亮，晚上很黑",
                      category=Category(level1="城乡建设", level2="城市建设和市政管理"),
                      location=Location(raw=f"某小区{i}号楼", district=DISTRICTS[i % len(DISTRICTS)], street="某街道"),
                      contact=Contact(phone="13900000000"))

    def submit(n: int, per_tx: int = 1) -> list[str]:
        nos: list[str] = []
        while len(nos) < n:
            with session_scope(runtime.db_url) as db:
                nos += [submit_ticket(db, ticket(), session_id=None).ticket_no for _ in range(min(per_tx, n - len(nos)))]
        return nos

    def latencies(nos: list[str], since: dict[str, float] | None = None) -> list[float]:
        with session_scope(runtime.db_url) as db:
            rows = db.execute(select(OutboxRow.ticket_no, OutboxRow.created_at, OutboxRow.delivered_at)
                              .where(OutboxRow.ticket_no.in_(nos))).all()
        out = []
        for _no, created, delivered in rows:
            if delivered is None:
                continue
            start = created.replace(tzinfo=UTC).timestamp()
            out.append(delivered.replace(tzinfo=UTC).timestamp() - start)
        return out

    def delivered_count() -> int:
        from bot.dispatch.outbox import stats

        with session_scope(runtime.db_url) as db:
            return stats(db).get("dispatch.delivered", 0)

    def run_worker() -> tuple[threading.Event, threading.Thread]:
        from bot.dispatch.worker import Worker

        worker = Worker(db_url=runtime.db_url, dispatcher=runtime.dispatcher, notifiers=runtime.notifier,
                        settings=settings)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        return stop, thread

    try:
        # 1. Idle: one ticket at a time, the worker waiting for work.
        stop, thread = run_worker()
        idle_nos = []
        for _ in range(args.idle):
            idle_nos += submit(1)
            time.sleep(0.03)
        while delivered_count() < len(idle_nos):
            time.sleep(0.05)
        stop.set()
        thread.join()
        idle = latencies(idle_nos)

        # 2. Backlog: queue N tickets with the worker stopped, then start it and probe with new tickets.
        t0 = time.perf_counter()
        backlog_nos = submit(args.backlog, per_tx=100)
        submit_s = time.perf_counter() - t0
        base = delivered_count()
        stop, thread = run_worker()
        started = time.perf_counter()
        probes: list[str] = []
        target = base + args.backlog
        while delivered_count() < target + len(probes):
            if len(probes) < 50:
                probes += submit(1)
            time.sleep(0.1)
        drain_s = time.perf_counter() - started
        stop.set()
        thread.join()
        under = latencies(probes)
        assert len(latencies(backlog_nos)) == args.backlog
    finally:
        receiver.terminate()
        shutil.rmtree(data_dir, ignore_errors=True)

    result = {
        "backend": "webhook (signed, local receiver in its own process)",
        "database": "sqlite (WAL)",
        "worker": {"batch": settings.worker_batch, "concurrency": settings.worker_concurrency,
                   "poll_s": settings.worker_poll_s},
        "submit_tickets_per_s": round(args.backlog / submit_s, 1),
        "throughput_tickets_per_s": round((args.backlog + len(probes)) / drain_s, 1),
        "backlog": args.backlog,
        "drain_s": round(drain_s, 2),
        "latency_idle_ms": {"n": len(idle), "p50": pct(idle, 0.5), "p95": pct(idle, 0.95)},
        "latency_under_backlog_ms": {"n": len(under), "p50": pct(under, 0.5), "p95": pct(under, 0.95)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(
        f"outbox → webhook: {result['throughput_tickets_per_s']} tickets/s "
        f"({args.backlog} backlog drained in {result['drain_s']} s; submit {result['submit_tickets_per_s']}/s)\n"
        f"latency idle p50/p95: {result['latency_idle_ms']['p50']}/{result['latency_idle_ms']['p95']} ms; "
        f"under backlog p50/p95: {result['latency_under_backlog_ms']['p50']}/"
        f"{result['latency_under_backlog_ms']['p95']} ms\n")


if __name__ == "__main__":
    main()
