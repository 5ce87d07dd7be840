"""Prometheus metrics for operations: turns, latency, LLM fallbacks, deliveries, emergencies, outbox depth.

The counters live in the process-wide default registry; `/metrics` renders them with the outbox depth read
from the database at scrape time. No label carries personal data: only channels, intents and outcomes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

TURNS = Counter("hotline_turns_total", "Citizen turns handled", ["channel", "intent"])
TURN_SECONDS = Histogram("hotline_turn_seconds", "Time to handle one citizen turn", ["channel"],
                         buckets=TURN_BUCKETS)
TURN_ERRORS = Counter("hotline_turn_errors_total", "Citizen turns that raised", ["channel"])
EMERGENCIES = Counter("hotline_emergencies_total", "Turns answered with an emergency referral", ["channel"])
LLM_FALLBACKS = Counter("hotline_llm_fallbacks_total", "LLM calls that failed over to the offline engine",
                        ["prompt"])
DELIVERIES = Counter("hotline_deliveries_total", "Outbox delivery attempts by outcome", ["topic", "outcome"])
DELIVERY_SECONDS = Histogram("hotline_delivery_seconds", "Time of one outbox delivery attempt", ["topic"])
HTTP_REQUESTS = Counter("hotline_http_requests_total", "HTTP requests by route and status class",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("hotline_http_request_seconds", "HTTP request latency by route", ["method", "route"],
                         buckets=TURN_BUCKETS)
SHED = Counter("hotline_turns_shed_total", "Turns refused with 503 because every slot was busy")


@contextmanager
def observe_turn(channel: str) -> Iterator[dict[str, object]]:
    """Time one turn; the caller fills `outcome["intent"]` and `outcome["emergency"]` from its reply."""
    outcome: dict[str, object] = {"intent": "none", "emergency": False}
    started = time.perf_counter()
    try:
        yield outcome
    except Exception:
        TURN_ERRORS.labels(channel).inc()
        raise
    finally:
        TURN_SECONDS.labels(channel).observe(time.perf_counter() - started)
    TURNS.labels(channel, str(outcome["intent"])).inc()
    if outcome["emergency"]:
        EMERGENCIES.labels(channel).inc()
