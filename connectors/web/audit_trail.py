"""Every successful staff write lands in the audit log, even from a route that records nothing itself.

A route that records its own entry (with before/after values, `bot.admin.audit.record`) marks its database
session; for any other POST/PUT/PATCH/DELETE answered below 400 by a caller that `deps.current_staff`
identified, this middleware writes one entry from the request alone: who, the route template, the path.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.admin import audit
from bot.store.db import session_scope

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditTrailMiddleware:
    """Records staff writes that their route did not record."""

    def __init__(self, app: ASGIApp, *, db_url: str) -> None:
        self.app = app
        self.db_url = db_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in WRITES:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_and_note)
        state = scope.get("state") or {}
        staff = state.get("staff")
        if staff is None or status >= 400 or state.get("audited"):
            return
        route = getattr(scope.get("route"), "path", scope.get("path", ""))
        await anyio.to_thread.run_sync(self._write, staff.name, staff.role, f"{scope['method']} {route}",
                                       scope.get("path", ""), status)

    def _write(self, actor: str, role: str, action: str, path: str, status: int) -> None:
        with session_scope(self.db_url) as db:
            audit.record(db, actor=actor, role=role, action=action, target=path, status=status)
