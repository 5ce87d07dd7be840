"""Admission control for chat turns: at most `slots` turns run at once, in a bounded thread pool of their
own (embedding and classification never run on the event loop, and never starve the server's shared
thread pool that /healthz and the staff pages use). A turn that cannot start within `wait_s` is shed with
503 and Retry-After at once, instead of queueing until a client times out."""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import HTTPException, status

from bot import metrics

T = TypeVar("T")

BUSY = "当前咨询人数较多，请稍后再试。"


class TurnGate:
    """A semaphore with a short acquire timeout in front of a dedicated thread pool."""

    def __init__(self, *, slots: int, wait_s: float, retry_after_s: int = 2) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        # One semaphore per event loop: uvicorn serves from one loop, but a test client may use several,
        # and an asyncio semaphore must not be awaited from a loop other than its own.
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="turn")
        self.in_flight = 0
        self.shed = 0

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.slots)
        return sem

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(*args)` in the turn pool once a slot is free, or raise 503 after `wait_s`."""
        sem = self._sem()
        try:
            await asyncio.wait_for(sem.acquire(), timeout=self.wait_s)
        except TimeoutError:
            self.shed += 1
            metrics.SHED.inc()
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, BUSY,
                                headers={"Retry-After": str(self.retry_after_s)}) from None
        self.in_flight += 1
        try:
            # The turn's thread sees the request's context (its request id for the log lines).
            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(self._pool, context.run, fn, *args)
        finally:
            self.in_flight -= 1
            sem.release()

    def close(self) -> None:
        """Stop the pool's threads (at app shutdown)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
