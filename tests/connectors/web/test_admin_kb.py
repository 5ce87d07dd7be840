"""The admin knowledge-base API over HTTP: credentials, upload/replace/delete, hit testing, unanswered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime


def _token(runtime: Runtime, role: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=f'test-{role}')}"}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False))


def test_admin_endpoints_need_an_admin_token(client: TestClient, runtime: Runtime) -> None:
    assert client.get("/api/admin/documents").status_code == 401
    assert client.get("/api/admin/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/admin/documents", headers=_token(runtime, "agent")).status_code == 403
    listed = client.get("/api/admin/documents", headers=_token(runtime, "admin"))
    assert listed.status_code == 200
    heating = next(d for d in listed.json() if d["doc_id"] == "winter-heating")
    assert heating["version"] == 1 and heating["chunk_count"] > 0 and len(heating["content_hash"]) == 64


def test_upload_replace_and_delete_change_what_the_bot_answers(client: TestClient, runtime: Runtime) -> None:
    admin = _token(runtime, "admin")
    doc = "# 社区食堂就餐指南\n## 就餐时间\n社区食堂午餐供应时间为11:00至13:00。\n"
    created = client.post("/api/admin/documents", headers=admin,
                          files={"file": ("community-canteen.md", doc.encode(), "text/markdown")})
    assert created.status_code == 201 and created.json()["outcome"] == "added"
    assert "11:00" in client.post("/api/chat", json={"session_id": "a1", "text": "社区食堂午餐供应时间是什么时候？"}).json()["reply"]

    replaced = client.put("/api/admin/documents/community-canteen", headers=admin,
                          files={"file": ("whatever.md", doc.replace("11:00", "11:30").encode(), "text/markdown")})
    assert replaced.status_code == 200 and replaced.json()["outcome"] == "updated"
    versions = {d["doc_id"]: d["version"] for d in client.get("/api/admin/documents", headers=admin).json()}
    assert versions["community-canteen"] == 2

    assert client.delete("/api/admin/documents/community-canteen", headers=admin).status_code == 204
    assert client.delete("/api/admin/documents/community-canteen", headers=admin).status_code == 404
    assert "community-canteen" not in {d["doc_id"] for d in client.get("/api/admin/documents", headers=admin).json()}


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [("sheet.xlsx", b"PK\x03\x04", 400), ("broken.docx", b"not a zip", 400), ("empty.md", b"", 400)],
)
def test_bad_uploads_get_a_clear_error(client: TestClient, runtime: Runtime, name: str, data: bytes, code: int) -> None:
    response = client.post("/api/admin/documents", headers=_token(runtime, "admin"), files={"file": (name, data)})
    assert response.status_code == code
    assert name in response.json()["detail"]


def test_oversized_upload_is_refused(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.max_upload_bytes = 1000
    response = client.post("/api/admin/documents", headers=_token(runtime, "admin"),
                           files={"file": ("big.md", b"# big\n" + b"a" * 5000)})
    assert response.status_code == 413


def test_hit_testing_shows_ranked_scored_chunks(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/api/admin/hit-test", headers=_token(runtime, "admin"),
                           json={"query": "暖气不热怎么办", "top_k": 5})
    body = response.json()
    assert response.status_code == 200 and body["grounded"] is True
    assert body["chunks"][0]["doc_id"] == "winter-heating"
    scores = [c["score"] for c in body["chunks"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5
    # Admins read the decision in Chinese, not a debug line.
    assert "coverage" not in body["reason"] and "相似度" in body["reason"]


def test_unanswered_questions_are_grouped_for_admins(client: TestClient, runtime: Runtime) -> None:
    for n, text in enumerate(["护照怎么办理？", "护照怎么办理", "新冠疫苗在哪里打？"]):
        reply = client.post("/api/chat", json={"session_id": f"u{n}", "text": text}).json()
        assert "没有" in reply["reply"]
    groups = client.get("/api/admin/unanswered", headers=_token(runtime, "admin")).json()["groups"]
    assert groups[0]["topic"] == "护照" and groups[0]["count"] == 2
    assert {g["topic"] for g in groups} >= {"护照", "新冠疫苗"}
