"""Dependencies as Annotated aliases, so routes read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from bot import auth
from bot.store.db import session_scope
from connectors.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The app's runtime."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """A database session for one request, committed when the route returns."""
    with session_scope(runtime.db_url) as db:
        yield db
        if db.info.get("audited"):
            request.state.audited = True  # connectors.web.audit_trail: the route logged itself


# scope="function": the session commits when the route returns, before the response is sent. With FastAPI's
# default ("request") the commit ran after the response, so a browser following a sign-in redirect (or a page
# re-reading what it just saved) could arrive before the change was committed and not see it.
DbDep = Annotated[Session, Depends(get_db, scope="function")]

_bearer = HTTPBearer(auto_error=False)


class Staff:
    """Who is calling a staff endpoint."""

    def __init__(self, *, role: str, name: str) -> None:
        self.role = role
        self.name = name


def current_staff(
    request: Request, runtime: RuntimeDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Staff:
    """The caller from a bearer token or a signed-in page session; 401 without either. The caller is kept on
    the request, so the audit trail knows who made a change."""
    staff: Staff | None = None
    if creds is not None:
        with session_scope(runtime.db_url) as db:
            found = auth.role_for_token(db, creds.credentials)
        if found:
            staff = Staff(role=found[0], name=found[1])
    if staff is None:
        staff = staff_from_cookie(request, runtime)
    if staff is not None:
        request.state.staff = staff
        return staff
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "需要登录或提供有效的访问令牌",
                        headers={"WWW-Authenticate": "Bearer"})


def staff_from_cookie(request: Request, runtime: Runtime) -> Staff | None:
    """The staff member of the browser's server-side session, if it is live (not logged out, not expired,
    not revoked by a password change)."""
    sid = request.session.get("sid") if "session" in request.scope else None
    if not sid:
        return None
    with session_scope(runtime.db_url) as db:
        found = auth.session_user(db, sid)
    return Staff(role=found[1], name=found[0]) if found else None


def require_role(*roles: str):  # noqa: ANN201
    """A dependency admitting staff with one of `roles` (admins are admitted everywhere)."""

    def check(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if staff.role not in roles and staff.role != "admin":
            raise HTTPException(status.HTTP_403_FORBIDDEN, "当前账号无权访问此功能")
        return staff

    return check


def require_surface(surface: str):  # noqa: ANN201
    """A dependency admitting exactly the roles of one staff surface (`bot.auth.SURFACES`)."""
    roles = auth.SURFACES[surface]

    def check(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if staff.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "当前账号无权访问此功能")
        return staff

    return check


AdminDep = Annotated[Staff, Depends(require_surface("admin"))]
AgentDep = Annotated[Staff, Depends(require_surface("agent"))]
UnitDep = Annotated[Staff, Depends(require_surface("unit"))]
AnalystDep = Annotated[Staff, Depends(require_surface("analytics"))]
