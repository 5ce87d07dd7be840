"""HTTP-side operations: request ids on every request, request metrics by route, and `/metrics`."""

from __future__ import annotations

import time

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.dispatch import outbox
from bot.store.db import session_scope

OUTBOX_ROWS = Gauge("hotline_outbox_rows", "Outbox rows by state (pending is the delivery backlog)", ["state"])
TURNS_IN_FLIGHT = Gauge("hotline_turns_in_flight", "Citizen turns running now")


class RequestMetricsMiddleware:
    """Counts requests and times them by route template (never the raw path, which may hold ticket numbers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            metrics.HTTP_REQUESTS.labels(method, route, f"{status // 100}xx").inc()
            metrics.HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Request ids (X-Request-ID in and out; any value a client sends is replaced unless it is a UUID)
    and request metrics. Call last, so the request id is set before anything else logs."""
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")


def render(app: FastAPI) -> bytes:
    """The Prometheus text exposition, with the outbox depth and turns in flight read now."""
    runtime = app.state.runtime
    with session_scope(runtime.db_url) as db:
        for state, n in outbox.depth(db).items():
            OUTBOX_ROWS.labels(state).set(n)
    TURNS_IN_FLIGHT.set(app.state.turn_gate.in_flight)
    return generate_latest()


CONTENT_TYPE = CONTENT_TYPE_LATEST
