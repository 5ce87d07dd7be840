"""Admins create staff accounts over HTTP: a unit account must be a unit of the routing table, an existing name
is refused rather than silently reset, the password is never logged, and the new account signs in."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime


def test_accounts_are_created_with_validation_and_sign_in() -> None:
    runtime = Runtime()
    client = TestClient(create_app(runtime, run_worker=False, warm_up=False), base_url="http://testserver")
    with session_scope(runtime.db_url) as db:
        admin = {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='人事管理员')}"}
        agent = {"Authorization": f"Bearer {auth.create_token(db, role='agent', name='坐席甲')}"}
    url = "/api/admin/accounts"

    def refused(body: dict, words: str) -> None:
        res = client.post(url, headers=admin, json=body)
        assert res.status_code == 400, res.text
        assert words in res.json()["detail"], res.json()["detail"]

    refused({"name": "朝阳城管", "role": "unit", "password": "unit-pass-1"}, "须以路由表中的单位 ID 命名")
    refused({"name": "chaoyang.nobody", "role": "unit", "password": "unit-pass-1"}, "“chaoyang.nobody”不是有效的单位 ID")
    refused({"name": "chaoyang.cgzf", "role": "unit", "password": "short"}, "密码至少需要 8 个字符")
    refused({"name": "王芳", "role": "boss", "password": "agent-pass-1"}, "未知角色")
    refused({"name": "<b>王芳", "role": "agent", "password": "agent-pass-1"}, "尖括号")
    assert client.post(url, headers=agent, json={"name": "x", "role": "admin", "password": "x" * 8}).status_code == 403

    made = client.post(url, headers=admin, json={"name": "chaoyang.cgzf", "role": "unit", "password": "unit-pass-1"})
    assert made.status_code == 201, made.text
    assert made.json() == {"name": "chaoyang.cgzf", "role": "unit", "unit_name": "朝阳区城市管理综合行政执法局",
                           "created_at": made.json()["created_at"]}
    refused({"name": "chaoyang.cgzf", "role": "unit", "password": "other-pass-1"}, "账号“chaoyang.cgzf”已存在")
    assert client.post(url, headers=admin, json={"name": "分析员乙", "role": "analyst",
                                                 "password": "analyst-pass-1"}).status_code == 201

    listed = client.get(url, headers=admin).json()["accounts"]
    assert [(a["name"], a["role"], a["unit_name"]) for a in listed] == [
        ("chaoyang.cgzf", "unit", "朝阳区城市管理综合行政执法局"), ("分析员乙", "analyst", None)]
    entries = client.get("/api/admin/audit?action=account.", headers=admin).json()["entries"]
    assert [e["target"] for e in entries] == ["分析员乙", "chaoyang.cgzf"]
    assert entries[1]["after"] == {"name": "chaoyang.cgzf", "role": "unit", "unit_name": "朝阳区城市管理综合行政执法局"}
    assert "unit-pass-1" not in json.dumps(entries, ensure_ascii=False)

    # The old password of an existing account still works (nothing was reset), and the new unit signs in.
    signed_in = client.post("/login", data={"username": "chaoyang.cgzf", "password": "unit-pass-1"},
                            headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/unit"
