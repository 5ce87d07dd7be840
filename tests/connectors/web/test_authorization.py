"""The authorisation matrix: every staff endpoint and page, for every role, over real HTTP.

The list of endpoints is read from the app's own routes, so a route added later is covered without
touching this file; a route that is neither under a staff prefix nor known to be public fails the test
until someone decides who may call it. Each page must admit exactly the roles its APIs admit.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from starlette.routing import Mount

from bot import auth
from bot.store.db import session_scope
from connectors.app import ROUTERS, create_app
from connectors.runtime import Runtime
from connectors.web.routes.tickets import link_token

# The contract (shared/CONTRACTS.md, "Pages" and "Admin"): who may use each staff surface.
EXPECTED: dict[str, set[str]] = {
    "admin": {"admin"},
    "agent": {"agent", "admin"},
    "unit": {"unit", "admin"},
    "analytics": {"analyst", "admin"},
}
API_PREFIXES = {"/api/admin": "admin", "/api/agent": "agent", "/api/unit": "unit", "/api/analytics": "analytics"}
PAGES = {"/admin": "admin", "/agent": "agent", "/unit": "unit", "/dashboard": "analytics"}
# Routes anyone may call (citizens' chat and ticket views carry their own credentials, the dispatch
# callback and WeChat are signed, the rest is sign-in, health and documentation).
PUBLIC_PREFIXES = ("/api/chat", "/api/passages", "/api/tickets", "/api/dispatch/callback", "/wechat", "/static/")
PUBLIC_PATHS = {"/", "/login", "/logout", "/livez", "/healthz", "/metrics", "/docs", "/openapi.json"}
STAFF_ROLES = ("admin", "agent", "unit", "analyst")
ROLES = ("anon", "citizen", *STAFF_ROLES)
PASSWORD = "matrix-pass-1"


def _surface(path: str) -> str | None:
    if path in PAGES:
        return PAGES[path]
    for prefix, surface in API_PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return surface
    return None


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or any(path.startswith(p) for p in PUBLIC_PREFIXES)


def _all_routes(app) -> list:  # noqa: ANN001
    """Every route object the app serves: its own and those of each mounted router (FastAPI keeps included
    routers as opaque wrappers, so the routers are read from the list the app mounts)."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount) or type(route).__name__ == "_IncludedRouter":
            continue  # static files; an included router's routes are read from ROUTERS below
        assert hasattr(route, "path") and hasattr(route, "methods"), f"a route this matrix cannot read: {route!r}"
        found.append(route)
    for router in ROUTERS:
        for route in router.routes:
            assert hasattr(route, "methods"), f"a router nested in a router ({route!r}): mount it in ROUTERS"
            found.append(route)
    return found


def _routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """(method, path) of every route the app serves."""
    out = set()
    for route in _all_routes(app):
        for method in route.methods or ():
            if method != "HEAD":
                out.add((method, route.path))
    return sorted(out)


@pytest.fixture
def live(tmp_path) -> Iterator[tuple[str, Runtime, object]]:  # noqa: ANN001
    """The real app on a loopback port (no warm-up: nothing here needs the models) and its runtime."""
    runtime = Runtime()
    app = create_app(runtime, run_worker=False, warm_up=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", runtime, app
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _credentials(base: str, runtime: Runtime) -> dict[str, dict[str, httpx.Client]]:
    """For each role a client with a bearer token and one with a signed-in page session."""
    clients: dict[str, dict[str, httpx.Client]] = {}
    origin = {"Origin": base}
    timeout = httpx.Timeout(120.0)
    for role in STAFF_ROLES:
        name = "chaoyang.cgzf" if role == "unit" else f"{role}-1"
        with session_scope(runtime.db_url) as db:
            token = auth.create_token(db, role=role, name=name)
            auth.add_user(db, name=name, role=role, password=PASSWORD)
        bearer = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        cookie = httpx.Client(base_url=base, headers=origin, timeout=timeout)
        signed_in = cookie.post("/login", data={"username": name, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        clients[role] = {"bearer": bearer, "cookie": cookie}
    # A citizen holds a signed ticket link and a chat session, never a staff credential.
    citizen_token = link_token(runtime.settings, "20260101000001")
    clients["citizen"] = {"bearer": httpx.Client(base_url=base, timeout=timeout, headers={
        "Authorization": f"Bearer {citizen_token}", "Origin": base})}
    clients["anon"] = {"bearer": httpx.Client(base_url=base, timeout=timeout, headers=origin)}
    return clients


def _status(client: httpx.Client, method: str, path: str) -> int:
    """The status of one call; only the head is read, so a server-sent-events endpoint cannot hang the test."""
    url = re.sub(r"\{[^}]+\}", "1", path)
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    with client.stream(method, url, **kwargs) as response:
        return response.status_code


def test_every_route_is_classified_and_every_staff_route_needs_its_role(live) -> None:  # noqa: ANN001
    base, runtime, app = live
    routes = _routes(app)
    unclassified = [(m, p) for m, p in routes if _surface(p) is None and not _is_public(p)]
    assert not unclassified, f"routes nobody has decided about (add them to this matrix): {unclassified}"
    staff_apis = [(m, p) for m, p in routes if _surface(p) and p not in PAGES]
    assert len(staff_apis) >= 20, staff_apis
    # Every staff API route asks for a staff credential in its dependencies.
    guarded = {r.path for r in _all_routes(app) if isinstance(r, APIRoute) and _needs_staff(r)}
    assert {p for _, p in staff_apis} <= guarded, sorted({p for _, p in staff_apis} - guarded)

    clients = _credentials(base, runtime)
    failures: list[str] = []
    admitted: dict[tuple[str, str], set[str]] = {}
    for method, path in routes:
        surface = _surface(path)
        if surface is None:
            continue
        page = path in PAGES
        for role in ROLES:
            kinds = ("cookie",) if page and role in STAFF_ROLES else tuple(clients[role])
            for kind in kinds:
                code = _status(clients[role][kind], method, path)
                allowed = role in EXPECTED[surface]
                if role in ("anon", "citizen"):
                    want = "303 to /login" if page else "401"
                    ok = code == (303 if page else 401)
                elif allowed:
                    want, ok = ("200" if page else "not 401/403"), (code == 200 if page else code not in (401, 403))
                else:
                    want, ok = "403", code == 403
                if not ok:
                    failures.append(f"{method} {path} as {role} ({kind}): {code}, expected {want}")
                if ok and allowed and role in STAFF_ROLES:
                    admitted.setdefault((surface, "page" if page else "api"), set()).add(role)
    assert not failures, "\n".join(failures)
    # Page and API permissions agree, surface by surface.
    for surface, roles in EXPECTED.items():
        assert admitted.get((surface, "page")) == roles, surface
        assert admitted.get((surface, "api")) == roles, surface
    for role_clients in clients.values():
        for client in role_clients.values():
            client.close()


def _needs_staff(route: APIRoute) -> bool:
    from connectors.web.deps import current_staff

    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is current_staff:
            return True
        stack.extend(dep.dependencies)
    return False


def test_analyst_lands_on_the_dashboard_and_sees_only_its_own_links(live) -> None:  # noqa: ANN001
    base, runtime, _app = live
    with session_scope(runtime.db_url) as db:
        auth.add_user(db, name="分析员", role="analyst", password=PASSWORD)
    with httpx.Client(base_url=base, headers={"Origin": base}) as client:
        signed_in = client.post("/login", data={"username": "分析员", "password": PASSWORD})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"
        page = client.get("/dashboard")
        assert page.status_code == 200
        assert 'href="/dashboard"' in page.text and 'href="/admin"' not in page.text
        assert 'href="/agent"' not in page.text
