"""A small circuit breaker, so a failing model endpoint is left alone for a while instead of hammered."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum

logger = logging.getLogger("bot.llm")


class BreakerState(StrEnum):
    """Closed lets calls through; open refuses them; half-open admits one trial."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; after `cooldown_s`, one trial call decides."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "llm",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.name = name
        self._clock = clock
        # Requests are served from many threads; every transition happens under this lock.
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started_at: float | None = None

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose cooldown has passed reads as half-open."""
        with self._lock:
            if self._state is BreakerState.OPEN and self._cooldown_over():
                return BreakerState.HALF_OPEN
            return self._state

    @property
    def is_open(self) -> bool:
        """True while calls are refused outright (open and still cooling down)."""
        return self.state is BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go ahead now; in half-open, only one trial at a time is admitted."""
        with self._lock:
            now = self._clock()
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN:
                if not self._cooldown_over():
                    return False
                self._state = BreakerState.HALF_OPEN
                logger.info("%s breaker half-open: trying one call", self.name)
            # A trial that never reported back (a caller that crashed) must not wedge the
            # breaker half-open forever, so after another cooldown a new trial is allowed.
            if self._trial_started_at is not None and now - self._trial_started_at < self.cooldown_s:
                return False
            self._trial_started_at = now
            return True

    def record_success(self) -> None:
        """A call succeeded: reset the count, and close the breaker if it was not closed."""
        with self._lock:
            if self._state is not BreakerState.CLOSED:
                logger.info("%s breaker closed: the endpoint answered again", self.name)
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial_started_at = None

    def record_failure(self) -> None:
        """A call failed: count it, and open the breaker at the threshold or after a failed trial."""
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN:
                self._open()
                logger.warning("%s breaker re-opened: the trial call failed; retrying in %.0fs",
                               self.name, self.cooldown_s)
            elif self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold:
                self._open()
                logger.warning("%s breaker opened after %d consecutive failures; offline for %.0fs",
                               self.name, self._failures, self.cooldown_s)

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_started_at = None

    def _cooldown_over(self) -> bool:
        return self._clock() - self._opened_at >= self.cooldown_s
