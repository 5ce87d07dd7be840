"""Readiness: `/livez` at once, `/healthz` 503 until the models are warm, then 200 (shared/CONTRACTS.md)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from connectors.app import create_app
from connectors.runtime import Runtime


def test_livez_answers_while_healthz_waits_for_the_warm_up(runtime: Runtime, monkeypatch) -> None:
    release = threading.Event()
    real = runtime.warm_up

    def slow_warm_up() -> dict[str, float]:
        release.wait(60)
        return real()

    monkeypatch.setattr(runtime, "warm_up", slow_warm_up)
    with TestClient(create_app(runtime, run_worker=False)) as client:
        assert client.get("/livez").json() == {"status": "ok"}
        starting = client.get("/healthz")
        assert starting.status_code == 503
        assert starting.json()["status"] == "starting"
        release.set()
        assert runtime.readiness.wait(900)
        ready = client.get("/healthz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok"}


def test_warm_up_loads_every_part_a_turn_needs(runtime: Runtime) -> None:
    with TestClient(create_app(runtime, run_worker=False)) as client:
        assert runtime.readiness.wait(900)
        assert client.get("/healthz").status_code == 200
    built = runtime.__dict__  # cached_property values
    for part in ("knowledge_base", "triage", "dialog", "extractor", "answerer"):
        assert part in built, part
    assert runtime.dialog._acts is not None
    assert runtime.knowledge_base._bm25 is not None
    assert set(runtime.readiness.seconds) >= {"knowledge_base", "triage", "answer", "total"}
    # The warm-up question was not recorded as a citizen's unanswered question.
    from sqlalchemy import func, select

    from bot.store.db import session_scope
    from bot.store.tables import UnansweredQuestion

    with session_scope(runtime.db_url) as db:
        assert db.scalar(select(func.count()).select_from(UnansweredQuestion)) == 0


def test_a_failed_warm_up_keeps_the_service_unready_and_says_why(runtime: Runtime, monkeypatch) -> None:
    def broken() -> dict[str, float]:
        raise RuntimeError("模型文件损坏")

    monkeypatch.setattr(runtime, "warm_up", broken)
    with TestClient(create_app(runtime, run_worker=False)) as client:
        for _ in range(200):
            if runtime.readiness.error:
                break
            threading.Event().wait(0.05)
        res = client.get("/healthz")
        assert res.status_code == 503
        assert res.json()["status"] == "failed"
        assert "模型文件损坏" in res.json()["detail"]
        assert client.get("/livez").status_code == 200
