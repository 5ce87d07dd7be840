"""Failure throttles (the `limits` package): after a few wrong passwords or wrong phone digits, further
tries are refused for a while, whatever they are. Counted per target (an account, a ticket) and per client.

The counters live in this process's memory; with several `serve` processes each keeps its own, so the
effective limit is at most the process count times the configured one.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class FailureThrottle:
    """`max_failures` failures per target within `window_s` lock the target; `client_factor` times that
    many from one client lock the client (so spreading guesses over many targets does not help)."""

    def __init__(self, name: str, *, max_failures: int, window_s: int, client_factor: int = 4) -> None:
        self.name = name
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._target = RateLimitItemPerSecond(max_failures, window_s)
        self._client = RateLimitItemPerSecond(max_failures * client_factor, window_s)

    def _keys(self, target: str, client: str) -> list[tuple[RateLimitItemPerSecond, str]]:
        return [(self._target, f"t:{target}"), (self._client, f"c:{client}")]

    def retry_after(self, target: str, client: str) -> int | None:
        """Seconds until a try is allowed again, or None when one is allowed now."""
        wait = 0.0
        for item, key in self._keys(target, client):
            if not self._limiter.test(item, self.name, key):
                reset = self._limiter.get_window_stats(item, self.name, key).reset_time
                wait = max(wait, reset - time.time(), 1.0)
        return math.ceil(wait) if wait else None

    def failed(self, target: str, client: str) -> None:
        """Count one wrong try."""
        for item, key in self._keys(target, client):
            self._limiter.hit(item, self.name, key)

    def succeeded(self, target: str) -> None:
        """The right credential: the target's own count starts over (the client's does not)."""
        self._limiter.clear(self._target, self.name, f"t:{target}")

    def check(self, target: str, client: str, detail: str) -> None:
        """Raise 429 with Retry-After while the target or the client is locked."""
        wait = self.retry_after(target, client)
        if wait is not None:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail.format(minutes=math.ceil(wait / 60)),
                                headers={"Retry-After": str(wait)})


def client_key(request: Request) -> str:
    """Who is calling, for throttling: the peer address (a proxy must not be trusted blindly)."""
    return request.client.host if request.client else "unknown"
