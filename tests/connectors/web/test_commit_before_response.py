"""A staff write is committed before its response leaves: the next request (a sign-in's redirect, a page
re-reading what it saved) always sees it. Commits are slowed here, so a commit running after the response
would be caught."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import auth
from bot.store.db import session_scope
from bot.store.tables import AuditEntry
from tests.connectors.web.test_authorization import live  # noqa: F401 - the fixture is used by name

_commit = Session.commit


def _slow_commit(self: Session) -> None:
    import time

    time.sleep(0.3)
    _commit(self)


def test_a_sign_in_and_an_edit_are_committed_before_the_response(live, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001, F811
    base, runtime, _app = live
    with session_scope(runtime.db_url) as db:
        auth.add_user(db, name="提交测试", role="admin", password="commit-pass-1")
    monkeypatch.setattr(Session, "commit", _slow_commit)
    with httpx.Client(base_url=base, headers={"Origin": base}, timeout=60) as client:
        signed_in = client.post("/login", data={"username": "提交测试", "password": "commit-pass-1"})
        assert signed_in.status_code == 303
        with session_scope(runtime.db_url) as db:
            assert db.scalar(select(func.count()).select_from(auth.StaffSession)) == 1
        assert client.get("/admin", follow_redirects=False).status_code == 200
        made = client.put("/api/admin/routing/rules/commit-check", json={
            "match": {"keywords": ["提交检查"]}, "unit": "city.dispatch"})
        assert made.status_code == 200, made.text
        with session_scope(runtime.db_url) as db:
            assert db.scalar(select(AuditEntry.action).where(AuditEntry.target == "commit-check")) == "routing.rule.create"
