"""Staff sign-in nobody can forge or guess: the install's own random secret, server-side sessions that
logout and a password change end, lockout after wrong passwords, an Origin check on cookie writes, and
the cookie's Secure flag."""

from __future__ import annotations

import base64
import json
import stat

import itsdangerous
import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.config import Settings, get_settings
from bot.store.db import session_scope
from connectors.app import SESSION_COOKIE, create_app
from connectors.runtime import Runtime

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def runtime() -> Runtime:
    rt = Runtime()
    with session_scope(rt.db_url) as db:
        auth.add_user(db, name="admin1", role="admin", password="admin-pass-1")
    return rt


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False), follow_redirects=False)


def _login(client: TestClient, password: str = "admin-pass-1", name: str = "admin1", **kw):
    return client.post("/login", data={"username": name, "password": password}, headers=ORIGIN, **kw)


def _forge(secret: str, payload: dict) -> str:
    data = base64.b64encode(json.dumps(payload).encode())
    return itsdangerous.TimestampSigner(secret).sign(data).decode()


def test_no_shipped_secret_a_random_one_is_generated_into_the_data_dir(runtime: Runtime) -> None:
    settings = runtime.settings
    secret = settings.secret
    path = settings.data_dir / auth.SECRET_FILE
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) >= 32 and secret == Settings().secret, "the same secret on every start"
    assert "dev-only" not in secret


def test_a_placeholder_secret_is_never_used(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    for placeholder in ["dev-only-session-secret", "changeme", "secret"]:
        monkeypatch.setenv("HOTLINE_SESSION_SECRET", placeholder)
        get_settings.cache_clear()
        assert Settings().secret != placeholder
        monkeypatch.setenv("HOTLINE_ENV", "production")
        with pytest.raises(ValueError):
            Settings()
        monkeypatch.delenv("HOTLINE_ENV")
    monkeypatch.setenv("HOTLINE_SESSION_SECRET", "a-real-operator-chosen-secret-0123456789")
    assert Settings().secret == "a-real-operator-chosen-secret-0123456789"


def test_a_cookie_signed_with_the_old_shipped_string_opens_nothing(client: TestClient) -> None:
    for payload in [{"staff": {"name": "admin", "role": "admin"}}, {"sid": "guess"}]:
        client.cookies.set(SESSION_COOKIE, _forge("dev-only-session-secret", payload))
        assert client.get("/admin").status_code == 303
        assert client.get("/api/admin/documents").status_code == 401
    # Even signed with the real secret, a made-up session id is no session.
    client.cookies.set(SESSION_COOKIE, _forge(client.app.state.runtime.settings.secret,
                                              {"staff": {"name": "admin1", "role": "admin"}, "sid": "x" * 43}))
    assert client.get("/api/admin/documents").status_code == 401


def test_logout_revokes_a_copied_cookie(client: TestClient) -> None:
    assert _login(client).status_code == 303
    copied = client.cookies.get(SESSION_COOKIE)
    assert client.get("/admin").status_code == 200
    assert client.post("/logout", headers=ORIGIN).status_code == 303
    thief = TestClient(client.app, follow_redirects=False)
    thief.cookies.set(SESSION_COOKIE, copied)
    assert thief.get("/admin").status_code == 303
    assert thief.get("/api/admin/documents").status_code == 401


def test_a_password_change_signs_every_browser_out(client: TestClient, runtime: Runtime) -> None:
    assert _login(client).status_code == 303
    assert client.get("/api/admin/documents").status_code == 200
    with session_scope(runtime.db_url) as db:
        auth.add_user(db, name="admin1", role="admin", password="a-new-password")
    assert client.get("/api/admin/documents").status_code == 401
    assert _login(client, "a-new-password").status_code == 303


def test_wrong_passwords_lock_the_account_even_for_the_right_one(client: TestClient) -> None:
    for _ in range(5):
        assert _login(client, "wrong-password").status_code == 401
    locked = _login(client)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "尝试次数过多" in locked.text
    assert client.get("/admin").status_code == 303


def test_guessing_many_accounts_from_one_client_locks_the_client(client: TestClient) -> None:
    for i in range(20):
        _login(client, "wrong-password", name=f"user{i}")
    assert _login(client).status_code == 429


def test_cookie_writes_need_our_own_origin(client: TestClient) -> None:
    # Sign-in from another site (login CSRF) or with no Origin at all is refused.
    assert client.post("/login", data={"username": "admin1", "password": "admin-pass-1"},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/login", data={"username": "admin1", "password": "admin-pass-1"}).status_code == 403
    assert _login(client).status_code == 303
    body = {"query": "居住证", "top_k": 3}
    assert client.post("/api/admin/hit-test", json=body, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api/admin/hit-test", json=body).status_code == 403
    assert client.post("/api/admin/hit-test", json=body,
                       headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert client.post("/api/admin/hit-test", json=body,
                       headers={"Referer": "http://testserver/admin"}).status_code == 200
    assert client.post("/api/admin/hit-test", json=body, headers=ORIGIN).status_code == 200
    assert client.post("/logout").status_code == 403
    # Reads need no Origin; citizens without a staff cookie are not affected.
    assert client.get("/api/admin/documents").status_code == 200
    assert TestClient(client.app).post("/api/chat", json={"session_id": "o1", "text": ""}).status_code == 422


def test_bearer_tokens_need_no_origin(client: TestClient, runtime: Runtime) -> None:
    with session_scope(runtime.db_url) as db:
        token = auth.create_token(db, role="admin", name="脚本")
    res = client.post("/api/admin/hit-test", json={"query": "居住证", "top_k": 3},
                      headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200


def test_the_cookie_is_secure_in_production_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().secure_cookies is False
    monkeypatch.setenv("HOTLINE_ENV", "production")
    assert Settings().secure_cookies is True
    monkeypatch.setenv("HOTLINE_COOKIE_SECURE", "false")
    assert Settings().secure_cookies is False
    monkeypatch.setenv("HOTLINE_ENV", "development")
    monkeypatch.setenv("HOTLINE_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    rt = Runtime()
    with session_scope(rt.db_url) as db:
        auth.add_user(db, name="admin1", role="admin", password="admin-pass-1")
    client = TestClient(create_app(rt, run_worker=False), base_url="https://testserver", follow_redirects=False)
    res = client.post("/login", data={"username": "admin1", "password": "admin-pass-1"},
                      headers={"Origin": "https://testserver"})
    assert res.status_code == 303
    cookie = res.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
