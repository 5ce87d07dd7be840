"""Server-rendered pages: the citizen chat, staff sign-in, and the admin and unit desks.

Pages are thin: a template plus a little vanilla JS that calls the JSON APIs with the browser's
signed session cookie (the API dependencies accept the page session beside bearer tokens).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot import auth
from connectors.web.deps import DbDep, Staff, get_runtime, staff_from_cookie
from connectors.web.throttle import client_key

router = APIRouter(tags=["pages"], include_in_schema=False)

_HERE = Path(__file__).resolve().parent
_STATIC = _HERE / "static"
templates = Jinja2Templates(directory=_HERE / "templates")

# Where each role lands after signing in.
HOME = {"admin": "/admin", "agent": "/agent", "unit": "/unit", "analyst": "/dashboard"}

# All scripts and styles are files served from /static, so the pages can forbid inline script:
# even if some text slipped through unescaped, it could not run.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(css|js)$")
_MEDIA = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def _render(request: Request, name: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
            **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"staff": _signed_in(request), "surfaces": auth.SURFACES,
                                                      **context},
                                      status_code=status_code, headers={**_SECURITY_HEADERS, **(headers or {})})


def _signed_in(request: Request) -> Staff | None:
    staff = staff_from_cookie(request, get_runtime(request))
    return staff if staff is not None and staff.role in HOME else None


def _gate(request: Request, *roles: str, surface: str | None = None) -> Staff | Response:
    """The signed-in staff member if their role may see the page (the roles of `surface`, which its APIs
    admit too, or `roles`); else a redirect to sign in, or 403."""
    if surface is not None:
        roles = auth.SURFACES[surface]
    staff = _signed_in(request)
    if staff is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    if staff.role not in roles:
        return _render(request, "forbidden.html", status_code=status.HTTP_403_FORBIDDEN)
    return staff


@router.get("/")
def chat_page(request: Request) -> Response:
    """The citizen web chat, with a ticket lookup."""
    return _render(request, "chat.html")


@router.get("/login")
def login_page(request: Request) -> Response:
    """The staff sign-in form."""
    return _render(request, "login.html", username="", error=None, home=HOME)


@router.post("/login")
def login(request: Request, db: DbDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "") -> Response:
    """Check the password; on success open a server-side session and go to the staff member's page.

    Wrong passwords are throttled per account and per client: once locked, even the right password waits."""
    name, client = username.strip()[:100], client_key(request)
    throttle = request.app.state.login_throttle
    wait = throttle.retry_after(name, client)
    if wait is not None:
        return _render(request, "login.html", status_code=status.HTTP_429_TOO_MANY_REQUESTS, username=username,
                       error=f"尝试次数过多，请 {max(1, round(wait / 60))} 分钟后再试", home=HOME,
                       headers={"Retry-After": str(wait)})
    user = auth.authenticate(db, name=name, password=password) if name and password else None
    if user is None:
        throttle.failed(name, client)
        return _render(request, "login.html", status_code=status.HTTP_401_UNAUTHORIZED,
                       username=username, error="用户名或密码错误", home=HOME)
    throttle.succeeded(name)
    settings = get_runtime(request).settings
    old = request.session.get("sid")
    if old:
        auth.close_session(db, old)
    # A fresh session on sign-in, so nothing from before (another account's data) carries over.
    request.session.clear()
    request.session["sid"] = auth.open_session(db, user, hours=settings.staff_session_hours)
    return RedirectResponse(HOME.get(user.role, "/"), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    """End the browser's session on the server too, so a copied cookie stops working."""
    sid = request.session.get("sid")
    if sid:
        auth.close_session(db, sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/admin")
def admin_page(request: Request) -> Response:
    """Admins: knowledge base, hit testing, unanswered questions, dead letters."""
    staff = _gate(request, surface="admin")
    return staff if isinstance(staff, Response) else _render(request, "admin.html")


@router.get("/unit")
def unit_page(request: Request) -> Response:
    """Responsible units (and admins, for any unit): the built-in backend's ticket queue."""
    staff = _gate(request, surface="unit")
    return staff if isinstance(staff, Response) else _render(request, "unit.html")


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """The pages' own CSS and JS (a flat folder; names are checked so no other file can be read)."""
    path = _STATIC / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "文件不存在")
    return FileResponse(path, media_type=_MEDIA[path.suffix.lstrip(".")],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
