"""End to end over HTTP with the real runtime: a complaint becomes a confirmed ticket the citizen can look up."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from bot.auth import create_token
from bot.store.db import session_scope
from bot.taxonomy import SHIPPED_PATH
from connectors.runtime import Runtime
from tests.connectors.empty_app import client, runtime  # noqa: F401 (fixtures)


def chat(client: TestClient, text: str, session: str = "web-1") -> dict:
    response = client.post("/api/chat", json={"session_id": session, "text": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_complaint_to_confirmed_ticket_and_citizen_view(client: TestClient) -> None:
    r = chat(client, "楼下烧烤店每天凌晨两点还在营业，油烟噪音扰民")
    assert r["awaiting"] == "location" and r["ticket"]["ticket_no"] is None
    r = chat(client, "朝阳区望京街道花家地西里3号楼")
    assert r["awaiting"] == "contact_phone"
    r = chat(client, "13812345678")
    assert r["awaiting"] == "confirmation"
    r = chat(client, "确认")
    ticket_no = r["ticket"]["ticket_no"]
    assert ticket_no and r["ticket"]["status"] == "submitted" and r["awaiting"] is None

    view = client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "5678"})
    assert view.status_code == 200 and view.json()["ticket_no"] == ticket_no
    assert view.json()["timeline"][0]["status"] == "submitted"
    assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "0000"}).status_code == 404
    assert client.get(f"/api/tickets/{ticket_no}").status_code == 422

    r = chat(client, "我的工单到哪了")
    assert ticket_no in r["reply"]
    assert ticket_no not in chat(client, "我的工单到哪了", session="stranger")["reply"]


def test_consult_is_answered_by_the_real_answerer(client: TestClient) -> None:
    r = chat(client, "请问居住证怎么办理？")
    assert r["intent"] == "consult" and r["ticket"] is None and r["reply"]


def test_emergency_over_http(client: TestClient) -> None:
    r = chat(client, "我家厨房着火了")
    assert r["emergency"] is True and "119" in r["reply"] and r["awaiting"] is None


@pytest.mark.parametrize(("text", "status"), [("", 422), ("   ", 422), ("吵" * 20000, 413)])
def test_bad_input_is_a_clear_4xx(client: TestClient, text: str, status: int) -> None:
    response = client.post("/api/chat", json={"session_id": "bad", "text": text})
    assert response.status_code == status and response.json()["detail"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_admin_taxonomy_edit(client: TestClient, runtime: Runtime) -> None:
    assert client.get("/api/admin/taxonomy").status_code == 401
    with session_scope(runtime.db_url) as db:
        token = create_token(db, role="admin", name="管理员")
    headers = {"Authorization": f"Bearer {token}"}
    data = yaml.safe_load(SHIPPED_PATH.read_text(encoding="utf-8"))
    assert client.get("/api/admin/taxonomy", headers=headers).json()["version"] == data["version"]
    bad = {**data, "categories": data["categories"][1:]}
    response = client.put("/api/admin/taxonomy", json=bad, headers=headers)
    assert response.status_code == 400 and "缺少一级分类" in response.json()["detail"]
    data["categories"][0]["children"].insert(0, {"name": "楼道堆物", "keywords": ["楼道堆物"]})
    assert client.put("/api/admin/taxonomy", json=data, headers=headers).status_code == 200
    assert client.get("/api/admin/taxonomy", headers=headers).json()["categories"][0]["children"][0]["name"] == "楼道堆物"


def test_taxonomy_edit_that_would_break_routing_is_refused(client: TestClient, runtime: Runtime) -> None:
    with session_scope(runtime.db_url) as db:
        headers = {"Authorization": f"Bearer {create_token(db, role='admin', name='管理员')}"}
    data = yaml.safe_load(SHIPPED_PATH.read_text(encoding="utf-8"))
    for category in data["categories"]:
        for child in category["children"]:
            if child["name"] == "冬季采暖":
                child["name"] = "供暖服务"
    response = client.put("/api/admin/taxonomy", json=data, headers=headers)
    assert response.status_code == 400 and "路由表" in response.json()["detail"]
    assert not (runtime.settings.overrides_dir / "taxonomy.yaml").exists()
    assert client.get("/api/admin/taxonomy", headers=headers).json()["version"] == data["version"]
