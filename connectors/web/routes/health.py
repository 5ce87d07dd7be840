"""Liveness, readiness (shared/CONTRACTS.md, "Readiness") and Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from connectors.web import observability

router = APIRouter(tags=["health"])


@router.get("/livez")
def livez() -> dict[str, str]:
    """The process is up (answers as soon as the server accepts connections)."""
    return {"status": "ok"}


@router.get("/healthz", response_model=None)
def healthz(request: Request) -> dict[str, str] | JSONResponse:
    """Ready: models loaded, classifiers fitted, a warm-up turn done; 503 until then."""
    readiness = request.app.state.runtime.readiness
    if readiness.ready:
        return {"status": "ok"}
    if readiness.error:
        return JSONResponse({"status": "failed", "detail": readiness.error}, status_code=503)
    return JSONResponse({"status": "starting"}, status_code=503)


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    """Turns, latency histograms, LLM fallbacks, deliveries, emergencies and outbox depth; no personal data."""
    return Response(observability.render(request.app), media_type=observability.CONTENT_TYPE)
