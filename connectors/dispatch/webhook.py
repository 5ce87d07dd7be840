"""A signed JSON webhook: each message is POSTed with an HMAC-SHA256 signature and an Idempotency-Key."""

from __future__ import annotations

import json

import httpx

from bot.errors import BackendUnavailable, InvalidConfig
from bot.store.db import utcnow
from connectors.dispatch.base import DeliveryResult, DispatchConnector, DispatchMessage, raise_for_delivery
from connectors.dispatch.signing import signed_headers


class WebhookConnector(DispatchConnector):
    """Delivers messages to one URL; status comes back through /api/dispatch/callback."""

    name = "webhook"

    def __init__(self, *, url: str, secret: str, timeout_s: float, client: httpx.Client | None = None) -> None:
        if not url or not secret:
            raise InvalidConfig("HOTLINE_WEBHOOK_URL 和 HOTLINE_WEBHOOK_SECRET 都需要设置")
        self.url = url
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout_s, trust_env=False)

    def body(self, message: DispatchMessage) -> bytes:
        """The exact bytes that are signed and sent."""
        doc = {"event": message.kind, "sent_at": utcnow().isoformat(), **message.model_dump(mode="json")}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    def deliver(self, message: DispatchMessage) -> DeliveryResult:
        """POST the signed message; 2xx (or 409 for a key already seen) counts as delivered."""
        body = self.body(message)
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key,
                   **signed_headers(self.secret, body)}
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"webhook unreachable: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code == 409:
            # The receiver already holds this key: an earlier send got through.
            return DeliveryResult(external_id=message.external_id, duplicate=True)
        raise_for_delivery(response, backend="webhook")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        case_id = answer.get("case_id") or answer.get("id") if isinstance(answer, dict) else None
        return DeliveryResult(external_id=str(case_id) if case_id else message.external_id,
                              duplicate=bool(isinstance(answer, dict) and answer.get("duplicate")))

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()
