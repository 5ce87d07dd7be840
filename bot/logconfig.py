"""Logging set-up: every line carries the request id and has personal data masked.

The request id comes from `asgi_correlation_id` (the X-Request-ID header, or a new one per request); lines
written outside a request (start-up, the delivery worker) show "-"."""

from __future__ import annotations

import logging
from typing import Any

from asgi_correlation_id import CorrelationIdFilter

from bot.pii import MaskingFilter, mask

LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
ACCESS_FORMAT = '%(asctime)s %(levelname)s [%(request_id)s] %(client_addr)s "%(request_line)s" %(status_code)s'


class RequestIdFilter(CorrelationIdFilter):
    """Adds `record.request_id` (the current request's id, or "-")."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name=name, default_value="-")

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the id under the name our formats use."""
        super().filter(record)
        record.request_id = record.correlation_id  # type: ignore[attr-defined]
        return True


class AccessPathMaskingFilter(logging.Filter):
    """Masks personal data in the path of uvicorn's access lines (their fields are the record's args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument, keep the others for the access formatter."""
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            record.args = (args[0], args[1], mask(str(args[2])), args[3], args[4])
        return True


def _has(handler: logging.Handler, kind: type[logging.Filter]) -> bool:
    return any(isinstance(f, kind) for f in handler.filters)


def configure_logging(level: int = logging.INFO) -> None:
    """Install masking and request ids on the root handlers; idempotent, and keeps handlers others added."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in root.handlers:
        if not _has(handler, RequestIdFilter):
            handler.addFilter(RequestIdFilter())
        if not _has(handler, MaskingFilter):
            handler.addFilter(MaskingFilter())


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's own loggers (server and access lines) with the same filters and the request id."""
    filters = {"request_id": {"()": RequestIdFilter}, "mask": {"()": MaskingFilter},
               "mask_path": {"()": AccessPathMaskingFilter}}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {
            "default": {"format": LOG_FORMAT},
            "access": {"()": "uvicorn.logging.AccessFormatter", "fmt": ACCESS_FORMAT},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr",
                        "filters": ["request_id", "mask"]},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout",
                       "filters": ["request_id", "mask_path"]},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["access"], "level": level.upper(), "propagate": False},
        },
        "root": {"handlers": ["default"], "level": level.upper()},
    }
