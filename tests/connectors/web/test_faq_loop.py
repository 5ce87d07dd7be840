"""The knowledge loop over HTTP: unanswered questions grouped, an admin answers a group once, the answer is
an FAQ document searchable at once, the group closes, and a differently worded question is answered from it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime

ORIGIN = {"Origin": "http://testserver"}
PASSPORT = ("办理普通护照：本人携带居民身份证，到任一出入境接待大厅申请，现场采集照片和指纹。"
            "收费标准为每本120元。一般在7个工作日内办结，可选择邮寄或到大厅领取。")


def _admin(runtime: Runtime) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='管理员')}"}


def test_an_answered_group_becomes_an_faq_that_answers_the_next_question(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime, run_worker=False, warm_up=False))
    admin = _admin(runtime)
    for n, text in enumerate(["护照怎么办理？", "护照怎么办理", "新冠疫苗在哪里打？"]):
        reply = client.post("/api/chat", json={"session_id": f"faq{n}", "text": text}).json()
        assert "没有" in reply["reply"] and not reply["citations"]
    groups = client.get("/api/admin/unanswered", headers=admin).json()["groups"]
    passport = next(g for g in groups if g["topic"] == "护照")
    assert passport["count"] == 2 and set(passport["questions"]) == {"护照怎么办理？", "护照怎么办理"}

    assert client.post(f"/api/admin/unanswered/{passport['id']}/answer", json={"answer": " "},
                       headers=admin).status_code == 400
    answered = client.post(f"/api/admin/unanswered/{passport['id']}/answer", json={"answer": PASSPORT},
                           headers=admin)
    assert answered.status_code == 200, answered.text
    faq = answered.json()
    assert faq["closed"] == 2 and faq["doc_id"].startswith("faq-") and faq["chunks"] >= 1

    # The group is closed; the other one is still open; answering it twice is a 404.
    still_open = client.get("/api/admin/unanswered", headers=admin).json()["groups"]
    assert [g["topic"] for g in still_open] == ["新冠疫苗"]
    done = client.get("/api/admin/unanswered?status=answered", headers=admin).json()["groups"]
    assert done[0]["faq_doc_id"] == faq["doc_id"] and done[0]["count"] == 2
    assert client.post(f"/api/admin/unanswered/{passport['id']}/answer", json={"answer": PASSPORT},
                       headers=admin).status_code == 404
    assert faq["doc_id"] in {d["doc_id"] for d in client.get("/api/admin/documents", headers=admin).json()}

    # A later question in other words is answered from the FAQ, citing it.
    later = client.post("/api/chat", json={"session_id": "faq9", "text": "办护照要交多少钱？"}).json()
    assert later["citations"] and later["citations"][0]["doc_id"] == faq["doc_id"], later
    assert "120" in later["reply"]

    entries = client.get("/api/admin/audit?action=faq.", headers=admin).json()["entries"]
    assert entries[0]["actor"] == "管理员" and entries[0]["after"]["doc_id"] == faq["doc_id"]
    assert entries[0]["before"]["open_questions"] == 2 and entries[0]["at"]
