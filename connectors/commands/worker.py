"""`hotline worker`: the delivery worker as its own process, and the in-process worker for `serve`."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING

from bot.logconfig import configure_logging

if TYPE_CHECKING:
    from connectors.runtime import Runtime

log = logging.getLogger(__name__)


class WorkerHandle:
    """A running background worker; `stop()` lets the current batch finish, then returns."""

    def __init__(self, thread: threading.Thread, stop_event: threading.Event) -> None:
        self.thread = thread
        self._stop = stop_event

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the worker and wait for it."""
        self._stop.set()
        self.thread.join(timeout_s)


def start_background_worker(runtime: Runtime) -> WorkerHandle:
    """Run the delivery worker in a daemon thread of this process (HOTLINE_WORKER=on)."""
    worker = runtime.worker
    stop_event = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop_event,), name="delivery-worker", daemon=True)
    thread.start()
    return WorkerHandle(thread, stop_event)


def worker_command() -> None:
    """Run the delivery worker until interrupted (SIGINT/SIGTERM finish the current batch first)."""
    from connectors.runtime import Runtime

    configure_logging()
    runtime = Runtime()
    if runtime.settings.dispatch_backend == "open311":
        try:
            runtime.dispatcher.check_services()  # type: ignore[attr-defined]
        except Exception as exc:  # the endpoint may be down at start; deliveries will retry anyway
            log.warning("could not check Open311 service codes: %s", exc)
    stop_event = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop_event.set())
    runtime.worker.run(stop_event)


if __name__ == "__main__":
    worker_command()
