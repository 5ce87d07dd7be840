"""HMAC-SHA256 signatures over a timestamp and the raw body, with a replay window.

Outbound webhooks and inbound status callbacks use the same scheme:
  X-Hotline-Timestamp: <unix seconds>
  X-Hotline-Signature: sha256=<hex hmac(secret, "<timestamp>." + body)>
Signing the timestamp with the body means an old request cannot be replayed with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"


class BadSignature(Exception):
    """The request is not from who it claims, or is too old; the message says which."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value for this timestamp and body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Timestamp and signature headers for an outbound request."""
    ts = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body)}


def verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, window_s: int,
           now: float | None = None) -> int:
    """Check a request's signature and freshness; returns the timestamp, raises BadSignature."""
    if not secret:
        raise BadSignature("callbacks are not configured (no shared secret)")
    if not timestamp or not signature:
        raise BadSignature("missing timestamp or signature header")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise BadSignature("timestamp is not an integer") from exc
    now = now if now is not None else time.time()
    if abs(now - ts) > window_s:
        raise BadSignature(f"timestamp outside the {window_s}s window")
    if not hmac.compare_digest(sign(secret, ts, body), signature.strip()):
        raise BadSignature("signature does not match")
    return ts
