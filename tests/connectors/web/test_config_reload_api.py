"""Admin edits of the taxonomy and the routing table reach triage and routing without a restart: after an admin
adds a category and routes it, the next call's ticket may carry it and goes by the new rule; after a re-route the
next ticket goes to the new unit, even when the file's time did not move."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime

LIFT = "我们小区的电梯又坏了，把老人困在里面半个小时"
PLACE = "在朝阳区望京街道花家地西里3号楼"
# Another place, so the second ticket is not merged into the first as a repeat of it.
ELSEWHERE = "在海淀区中关村街道科育小区5号楼"
LIFT_RULE = {"description": "电梯安全由区住建委处理", "match": {"category_l1": ["城乡建设"], "category_l2": ["电梯安全"]},
             "unit": "district:zjw", "position": 0}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False, warm_up=False))


def _token(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


def _call_ticket(client: TestClient, agent: dict[str, str], category: dict[str, str], place: str = PLACE) -> dict:
    """One call about the lift, submitted with `category`; the submit answer (ticket number and unit)."""
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    for text in (LIFT, place):
        assert client.post(f"/api/agent/calls/{call_id}/turns", headers=agent, json={"text": text}).status_code == 200
    draft = client.get(f"/api/agent/calls/{call_id}", headers=agent).json()["draft"]
    return client.post(f"/api/agent/calls/{call_id}/submit", headers=agent,
                       json={"draft": {**draft, "category": category}})


def _route(client: TestClient, admin: dict[str, str], category: dict[str, str], district: str = "朝阳区") -> dict:
    probe = {"category_l1": category["level1"], "category_l2": category["level2"], "district": district,
             "text": LIFT}
    return client.post("/api/admin/routing/test", headers=admin, json=probe).json()


def test_a_category_an_admin_adds_and_routes_is_used_by_the_next_call_and_ticket(client: TestClient,
                                                                                 runtime: Runtime) -> None:
    agent, admin = _token(runtime, "agent", "坐席一号"), _token(runtime, "admin", "配置员")
    lift = {"level1": "城乡建设", "level2": "电梯安全"}
    refused = _call_ticket(client, agent, lift)  # triage is built, and knows no such category yet
    assert refused.status_code == 400 and "电梯安全" in refused.json()["detail"]

    added = client.put("/api/admin/taxonomy/城乡建设/电梯安全", headers=admin,
                       json={"description": "电梯故障、困人、停运、年检", "keywords": ["电梯", "困人"]})
    assert added.status_code == 200, added.text
    assert client.put("/api/admin/routing/rules/lift", headers=admin, json=LIFT_RULE).status_code == 200

    names = {c["level1"]: c["level2"] for c in client.get("/api/agent/categories", headers=agent).json()["categories"]}
    assert "电梯安全" in names["城乡建设"]
    made = _call_ticket(client, agent, lift)
    assert made.status_code == 200, made.text
    expected = _route(client, admin, lift)
    assert expected["rule_id"] == "lift" and made.json()["unit"] == expected["unit_name"]
    # The classifier is refitted on the new taxonomy in the background: then it may put a lift complaint there.
    assert runtime.taxonomy_refit.wait(timeout=300)
    status = client.get("/api/admin/taxonomy/refit", headers=admin).json()
    assert status["refitting"] is False and status["fits"] >= 1 and status["last_error"] is None
    assert runtime.triage.classifier.taxonomy.level2_names("城乡建设") == runtime.triage.taxonomy.level2_names("城乡建设")
    assert runtime.extractor.taxonomy is runtime.triage.taxonomy


def test_a_re_route_reaches_the_next_ticket_even_when_the_file_time_did_not_move(client: TestClient,
                                                                                 runtime: Runtime) -> None:
    agent, admin = _token(runtime, "agent", "坐席一号"), _token(runtime, "admin", "配置员")
    category = {"level1": "城乡建设", "level2": "物业管理"}
    rule = {**LIFT_RULE, "match": {"category_l1": ["城乡建设"], "category_l2": ["物业管理"]}}
    assert client.put("/api/admin/routing/rules/lift", headers=admin, json=rule).status_code == 200
    first = _call_ticket(client, agent, category)
    assert first.status_code == 200, first.text
    assert first.json()["unit"] == _route(client, admin, category)["unit_name"]

    path = runtime.settings.overrides_dir / "routing.yaml"
    stamp = path.stat()
    moved = client.put("/api/admin/routing/rules/lift", headers=admin, json={**rule, "unit": "district:cgw"})
    assert moved.status_code == 200, moved.text
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # a coarse clock: the edit left the same time
    second = _call_ticket(client, agent, category, ELSEWHERE)
    assert second.status_code == 200, second.text
    expected = _route(client, admin, category, "海淀区")
    assert expected["unit_id"].endswith(".cgw") and second.json()["unit"] == expected["unit_name"]
