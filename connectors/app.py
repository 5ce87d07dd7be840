"""Builds the FastAPI app: one thin router per channel, mounted here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from bot.errors import BadInput, Conflict, NotFound
from bot.logconfig import configure_logging
from connectors.commands.worker import start_background_worker
from connectors.runtime import Runtime
from connectors.web import api_docs, console_pages, observability, pages
from connectors.web.admission import TurnGate
from connectors.web.audit_trail import AuditTrailMiddleware
from connectors.web.hardening import OriginCheckMiddleware, StrictJsonMiddleware, safe_errors
from connectors.web.routes import (
    accounts,
    admin_kb,
    agent,
    analytics,
    calls,
    chat,
    dispatch_admin,
    dispatch_callback,
    handoff,
    health,
    taxonomy,
    tickets,
    unit,
)
from connectors.web.throttle import FailureThrottle
from connectors.wechat import router as wechat

SESSION_COOKIE = "hotline_session"
ROUTERS = [health.router, chat.router, admin_kb.router, tickets.router, wechat.router,
           unit.router, dispatch_admin.router, dispatch_callback.router, taxonomy.router, pages.router,
           agent.router, calls.router, handoff.router, analytics.router, console_pages.router, accounts.router]


def create_app(runtime: Runtime | None = None, *, run_worker: bool | None = None,
               warm_up: bool = True) -> FastAPI:
    """The whole product's HTTP surface; with HOTLINE_WORKER=on the delivery worker runs alongside.

    Start-up warms every model in a background thread: `/livez` answers at once, `/healthz` only when the
    first turn will be as fast as any later one."""
    configure_logging()
    runtime = runtime or Runtime()
    if run_worker is None:
        run_worker = runtime.settings.worker == "on"

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warming = runtime.start_warm_up() if warm_up else None
        handle = start_background_worker(runtime) if run_worker else None
        try:
            yield
        finally:
            if handle is not None:
                handle.stop()
            if "upload_jobs" in runtime.__dict__:  # queued uploads stay queued for the next start
                runtime.upload_jobs.close()
            if warming is not None:
                warming.join()

    # /docs is served from the installed Swagger UI files (api_docs), never a CDN; no ReDoc (CDN-only).
    app = FastAPI(title="12345 热线智能助手", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    settings = runtime.settings
    app.state.login_throttle = FailureThrottle("login", max_failures=settings.login_max_failures,
                                               window_s=settings.login_lockout_s)
    app.state.turn_gate = TurnGate(slots=settings.turn_slots, wait_s=settings.turn_queue_timeout_s)
    app.state.lookup_throttle = FailureThrottle("lookup", max_failures=settings.lookup_max_failures,
                                                window_s=settings.lookup_lockout_s, client_factor=3)
    # The last added runs first: request id and metrics, the JSON check, the Origin check, the cookie session,
    # the audit trail (inside the session, so it sees who the route found).
    app.add_middleware(AuditTrailMiddleware, db_url=runtime.db_url)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret, session_cookie=SESSION_COOKIE,
                       max_age=int(settings.staff_session_hours * 3600), same_site="strict",
                       https_only=settings.secure_cookies)
    app.add_middleware(OriginCheckMiddleware, cookie_name=SESSION_COOKIE,
                       allowed=tuple(settings.allowed_origins.split(",")))
    app.add_middleware(StrictJsonMiddleware)
    observability.install(app)
    for router in ROUTERS:
        app.include_router(router)
    api_docs.install(app)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = "请求不是有效的 JSON。"
        else:
            detail = "请求格式不正确：" + "；".join(
                f"{'.'.join(str(p) for p in e['loc'])} {e['msg']}" for e in safe_errors(errors[:5])
            )
        # The errors go back without the echoed input: it may be non-finite or unencodable.
        return JSONResponse({"detail": detail, "errors": safe_errors(errors)}, status_code=422)

    @app.exception_handler(BadInput)
    async def _bad_input(_request: Request, exc: BadInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)
