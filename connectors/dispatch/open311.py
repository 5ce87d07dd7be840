"""Open311 GeoReport v2: GET services, POST requests, GET request(s), and our categories as service codes.

POST requests.json is form-encoded (api_key, jurisdiction_id, service_code, description, address_string,
lat/long, attribute[...]) and answers a list with one `service_request_id` (or a `token` when the server
creates requests later). GeoReport has no idempotency field, so the key goes in an `Idempotency-Key`
header and in attribute[idempotency_key]; a receiver that has seen the key answers with the same request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import BackendUnavailable, InvalidConfig
from connectors.dispatch.base import (
    DeliveryRejected,
    DeliveryResult,
    DispatchConnector,
    DispatchMessage,
    StatusUpdate,
    post_with_mapping,
    raise_for_delivery,
)

MAPPING_PATH = Path(__file__).with_name("open311_services.yaml")
# GeoReport v2 knows open/closed; FixMyStreet-style servers report finer states, which we keep.
STATUS_MAP = {
    "closed": "resolved", "fixed": "resolved",
    "acknowledged": "accepted",
    "in_progress": "in_progress", "action_scheduled": "in_progress", "investigating": "in_progress",
}


class ServiceMapping(BaseModel):
    """Category → service code table."""

    model_config = ConfigDict(extra="forbid")

    default: str
    by_unit: dict[str, str] = Field(default_factory=dict)
    by_category_l2: dict[str, str] = Field(default_factory=dict)
    by_category_l1: dict[str, str] = Field(default_factory=dict)

    def code_for(self, message: DispatchMessage) -> str:
        """The service code for a ticket."""
        category = message.ticket.get("category") or {}
        return (self.by_unit.get(message.unit_id or "") or self.by_category_l2.get(category.get("level2") or "")
                or self.by_category_l1.get(category.get("level1") or "") or self.default)

    def codes(self) -> set[str]:
        """Every code the mapping can produce."""
        return {self.default, *self.by_unit.values(), *self.by_category_l2.values(), *self.by_category_l1.values()}


def load_mapping(path: Path = MAPPING_PATH) -> ServiceMapping:
    """The shipped category → service code mapping."""
    return ServiceMapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class Open311Connector(DispatchConnector):
    """Delivers tickets as GeoReport v2 service requests and polls their status."""

    name = "open311"
    pulls_status = True

    def __init__(self, *, base_url: str, api_key: str | None, jurisdiction: str | None, timeout_s: float,
                 mapping: ServiceMapping | None = None, client: httpx.Client | None = None) -> None:
        if not base_url:
            raise InvalidConfig("HOTLINE_OPEN311_BASE_URL 未设置")
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.jurisdiction = jurisdiction
        self.mapping = mapping or load_mapping()
        self.client = client or httpx.Client(timeout=timeout_s, trust_env=False)

    def _params(self) -> dict[str, str]:
        return {"jurisdiction_id": self.jurisdiction} if self.jurisdiction else {}

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self.client.get(f"{self.base}/{path}", params={**self._params(), **params})
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"open311 unreachable: {exc.__class__.__name__}") from exc
        raise_for_delivery(response, backend="open311")
        return response.json()

    def services(self) -> list[dict[str, Any]]:
        """GET services.json: the service types the endpoint accepts."""
        return list(self._get("services.json", {}))

    def check_services(self) -> None:
        """Refuse a mapping that names service codes the endpoint does not offer."""
        offered = {s.get("service_code") for s in self.services()}
        missing = sorted(self.mapping.codes() - offered)
        if missing:
            raise InvalidConfig(f"Open311 端点没有这些服务代码：{', '.join(missing)}")

    def form(self, message: DispatchMessage) -> dict[str, str]:
        """The POST requests.json form for a ticket."""
        t = message.ticket
        loc = t.get("location") or {}
        contact = t.get("contact") or {}
        address = " ".join(x for x in (loc.get("district"), loc.get("street"), loc.get("raw")) if x)
        description = "\n".join(x for x in (
            f"[{message.ticket_no}] {t.get('summary') or ''}".strip(),
            t.get("verbatim") or "",
            f"承办单位：{message.unit_name}" if message.unit_name else "",
            message.note or "",
        ) if x)[:4000]
        form = {**self._params(), "service_code": self.mapping.code_for(message), "description": description,
                "attribute[idempotency_key]": message.idempotency_key,
                "attribute[ticket_no]": message.ticket_no}
        if self.api_key:
            form["api_key"] = self.api_key
        if address:
            form["address_string"] = address
        if loc.get("latitude") is not None and loc.get("longitude") is not None:
            form["lat"], form["long"] = str(loc["latitude"]), str(loc["longitude"])
        if contact.get("phone") and not contact.get("anonymous"):
            form["phone"] = contact["phone"]
        if contact.get("name") and not contact.get("anonymous"):
            form["last_name"] = contact["name"]
        if message.unit_id:
            form["attribute[agency_responsible]"] = message.unit_name or message.unit_id
        return form

    def deliver(self, message: DispatchMessage) -> DeliveryResult:
        """POST the ticket as a service request; updates (added info, ratings) have no GeoReport method."""
        if message.kind != "ticket.dispatch":
            return DeliveryResult(external_id=message.external_id, detail="GeoReport v2 has no update method")
        response = post_with_mapping(self.client, f"{self.base}/requests.json", backend="open311",
                                     data=self.form(message), headers={"Idempotency-Key": message.idempotency_key})
        try:
            body = response.json()
            first = body[0] if isinstance(body, list) else body
            if first.get("service_request_id"):
                return DeliveryResult(external_id=str(first["service_request_id"]), detail=first.get("service_notice"))
            if first.get("token"):
                return DeliveryResult(external_id=f"token:{first['token']}", detail="request created later")
        except (ValueError, AttributeError, IndexError, TypeError) as exc:
            raise BackendUnavailable(f"open311 answered something unreadable: {response.text[:200]}") from exc
        raise DeliveryRejected(f"open311 answered without a request id: {response.text[:200]}")

    def fetch_statuses(self, external_ids: list[str]) -> list[StatusUpdate]:
        """GET requests.json?service_request_id=a,b,… and map the statuses we act on."""
        ids = [i for i in external_ids if i and not i.startswith("token:")]
        updates: list[StatusUpdate] = []
        for start in range(0, len(ids), 50):
            for item in self._get("requests.json", {"service_request_id": ",".join(ids[start:start + 50])}):
                status = STATUS_MAP.get(str(item.get("status", "")).lower())
                if status:
                    updates.append(StatusUpdate(external_id=str(item.get("service_request_id")), status=status,  # type: ignore[arg-type]
                                                note=item.get("status_notes")))
        return updates

    def request(self, service_request_id: str) -> dict[str, Any] | None:
        """GET requests/{id}.json: one request as the endpoint holds it."""
        found = self._get(f"requests/{service_request_id}.json", {})
        return found[0] if found else None

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()
