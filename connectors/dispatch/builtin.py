"""The built-in backend: the unit queue in our own database (the embedded default).

Delivering puts nothing on the wire: the worker's delivery transaction marks the ticket dispatched,
which is what makes it appear in the unit's queue. Units then act through /api/unit/...
"""

from __future__ import annotations

from connectors.dispatch.base import DeliveryResult, DispatchConnector, DispatchMessage


class BuiltinConnector(DispatchConnector):
    """Delivers into the local unit queue."""

    name = "builtin"

    def deliver(self, message: DispatchMessage) -> DeliveryResult:
        """Accept the message; the ticket number is the case reference."""
        return DeliveryResult(external_id=message.ticket_no, detail=f"queued for {message.unit_id}")
