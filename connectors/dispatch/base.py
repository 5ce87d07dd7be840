"""The one interface every dispatch backend implements (built-in, Open311, signed webhook)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import httpx

from bot.dispatch.ports import DeliveryRejected, DeliveryResult, DispatchMessage, StatusUpdate
from bot.errors import BackendUnavailable

__all__ = ["DispatchConnector", "DeliveryRejected", "DeliveryResult", "DispatchMessage", "StatusUpdate",
           "raise_for_delivery"]


class DispatchConnector(ABC):
    """A backend: `deliver` one message; backends without callbacks also answer `fetch_statuses`."""

    name: str = "base"
    pulls_status: bool = False

    @abstractmethod
    def deliver(self, message: DispatchMessage) -> DeliveryResult:
        """Deliver one message. BackendUnavailable: retry later. DeliveryRejected: give up."""

    def fetch_statuses(self, external_ids: list[str]) -> list[StatusUpdate]:
        """Statuses of cases this backend holds; push-based backends report nothing here."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing
        """Release connections."""


def raise_for_delivery(response: httpx.Response, *, backend: str) -> None:
    """Map an HTTP answer onto our errors: 5xx and 429 are retried, other 4xx are permanent."""
    if response.status_code < 400:
        return
    snippet = response.text[:300]
    if response.status_code >= 500 or response.status_code in (408, 425, 429):
        raise BackendUnavailable(f"{backend} answered {response.status_code}: {snippet}")
    raise DeliveryRejected(f"{backend} refused with {response.status_code}: {snippet}")


def post_with_mapping(client: httpx.Client, url: str, *, backend: str, **kwargs) -> httpx.Response:  # noqa: ANN003
    """POST and map transport failures (refused, reset, timeout) to BackendUnavailable."""
    try:
        response = client.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"{backend} unreachable: {exc.__class__.__name__}: {exc}") from exc
    raise_for_delivery(response, backend=backend)
    return response
