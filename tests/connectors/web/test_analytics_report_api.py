"""The dashboard's analysis endpoints: the report for a period, drill-down to requests, the zip download."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.analytics.imports import parse_time
from bot.analytics.tables import ImportedRequest
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime


@pytest.fixture
def setup() -> tuple[TestClient, dict[str, str], dict[str, str]]:
    runtime = Runtime()
    with session_scope(runtime.db_url) as db:
        admin = {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='分析员')}"}
        unit = {"Authorization": f"Bearer {auth.create_token(db, role='unit', name='haidian')}"}
        for i, text in enumerate(["金桂苑小区电梯坏了没人修", "金桂苑小区停水不通知", "请问社保怎么补缴"]):
            db.add(ImportedRequest(source_id=f"a{i}", received_at=parse_time(f"2025-03-1{i}T09:00:00"), text=text,
                                   category_l1="城乡建设", category_l2="物业管理", district="海淀区",
                                   places=["community:金桂苑"] if i < 2 else [], extra={}))
    return TestClient(create_app(runtime, run_worker=False)), admin, unit


def test_report_drill_down_and_zip(setup) -> None:  # noqa: ANN001
    client, admin, unit = setup
    url = "/api/analytics/report?from=2025-03-10&to=2025-03-16"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=unit).status_code == 403
    res = client.get(url, headers=admin)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["metrics"]["volume"] == 3 and set(body["findings"]) >= {"frequent", "concentrated", "dangerous",
                                                                         "surging", "new_topics"}
    frequent = body["findings"]["frequent"][0]
    assert frequent["label"] == "城乡建设 / 物业管理" and frequent["count"] == 3
    drill = client.get("/api/analytics/requests", params={"ids": ",".join(frequent["request_ids"])}, headers=admin)
    assert drill.status_code == 200 and [r["id"] for r in drill.json()["requests"]] == ["a0", "a1", "a2"]
    assert "金桂苑" in drill.json()["requests"][0]["text"]
    z = client.get("/api/analytics/report.zip?from=2025-03-10&to=2025-03-16", headers=admin)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert {"report.html", "report.md", "report.json", "daily.png", "daily.csv"} <= set(names)
    assert client.get("/api/analytics/report?from=2025-03-16&to=2025-03-10", headers=admin).status_code == 400
