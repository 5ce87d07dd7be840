"""The circuit breaker: closed, open after N failures, half-open after the cooldown, closed again."""

from __future__ import annotations

import logging

import pytest

from bot.llm.breaker import BreakerState, CircuitBreaker
from tests.bot.llm.conftest import FakeClock


def _breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, cooldown_s=60, clock=clock)


def test_opens_after_consecutive_failures_only(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_half_open_admits_one_trial_and_closes_on_success(clock: FakeClock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.llm")
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    assert "opened" in caplog.text
    clock.advance(59)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow(), "only one trial at a time"
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert "closed" in caplog.text
    assert breaker.allow() and breaker.allow()


def test_failed_trial_reopens_for_a_fresh_cooldown(clock: FakeClock, caplog) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(60)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert "re-opened" in caplog.text
    clock.advance(30)
    assert not breaker.allow()
    clock.advance(30)
    assert breaker.allow()


def test_a_trial_that_never_reports_does_not_wedge_the_breaker(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(60)
    assert breaker.allow()
    clock.advance(60)
    assert breaker.allow()


def test_options_are_keyword_only_and_checked() -> None:
    with pytest.raises(TypeError):
        CircuitBreaker(3, 60)  # type: ignore[misc]
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0, cooldown_s=1)
