"""Operations: /metrics in Prometheus format and a request id on every request and its log lines."""

from __future__ import annotations

import logging
import uuid

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.logconfig import AccessPathMaskingFilter, RequestIdFilter
from connectors.app import create_app
from connectors.runtime import Runtime


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_turns_emergencies_and_requests_without_personal_data(runtime: Runtime) -> None:
    turns_before = _value("hotline_turn_seconds_count", channel="web")
    emergencies_before = _value("hotline_emergencies_total", channel="web")
    with TestClient(create_app(runtime, run_worker=False, warm_up=False)) as client:
        ordinary = client.post("/api/chat", json={"session_id": "ops-1",
                                                  "text": "小区门口路灯坏了，我的电话13912345678"})
        assert ordinary.status_code == 200
        fire = client.post("/api/chat", json={"session_id": "ops-2", "text": "楼下着火了，好大的烟"})
        assert fire.status_code == 200 and fire.json()["emergency"] is True
        page = client.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    samples = _samples(page.text)
    assert samples[("hotline_turn_seconds_count", (("channel", "web"),))] == turns_before + 2
    assert samples[("hotline_emergencies_total", (("channel", "web"),))] == emergencies_before + 1
    intent = ordinary.json()["intent"]
    assert samples[("hotline_turns_total", (("channel", "web"), ("intent", intent)))] >= 1
    chat_requests = [v for (name, labels), v in samples.items() if name == "hotline_http_requests_total"
                     and ("route", "/api/chat") in labels and ("status", "2xx") in labels]
    assert chat_requests and chat_requests[0] >= 2
    # The outbox depth is read at scrape time; labels never carry what citizens wrote.
    assert ("hotline_outbox_rows", (("state", "pending"),)) in samples
    assert "13912345678" not in page.text and "路灯" not in page.text


def test_unmatched_paths_are_counted_by_template_not_by_raw_path(runtime: Runtime) -> None:
    with TestClient(create_app(runtime, run_worker=False, warm_up=False)) as client:
        assert client.get("/no/such/page/13912345678").status_code == 404
        text = client.get("/metrics").text
    assert "13912345678" not in text
    assert 'route="unmatched"' in text


def test_every_response_carries_a_request_id_and_a_clients_uuid_is_kept(runtime: Runtime) -> None:
    mine = uuid.uuid4().hex
    with TestClient(create_app(runtime, run_worker=False, warm_up=False)) as client:
        fresh = client.get("/livez").headers["X-Request-ID"]
        kept = client.get("/livez", headers={"X-Request-ID": mine}).headers["X-Request-ID"]
        forged = client.get("/livez", headers={"X-Request-ID": "drop table; 13912345678"}).headers["X-Request-ID"]
    assert len(fresh) == 32 and kept == mine
    assert forged != "drop table; 13912345678" and len(forged) == 32


def test_log_lines_inside_a_turn_carry_that_requests_id(runtime: Runtime, caplog, monkeypatch) -> None:
    real = runtime.dialog.handle

    def logging_handle(turn):  # noqa: ANN001, ANN202
        logging.getLogger("bot.dialog").warning("turn for %s", turn.session_id)
        return real(turn)

    monkeypatch.setattr(runtime.dialog, "handle", logging_handle)
    caplog.set_level(logging.WARNING)
    request_id = uuid.uuid4().hex
    with TestClient(create_app(runtime, run_worker=False, warm_up=False)) as client:
        caplog.handler.addFilter(RequestIdFilter())
        reply = client.post("/api/chat", headers={"X-Request-ID": request_id},
                            json={"session_id": "ops-log", "text": "居住证怎么办理"})
    assert reply.status_code == 200
    lines = [r for r in caplog.records if r.getMessage().startswith("turn for")]
    # The turn runs in the turn pool's thread: the request's context went with it.
    assert lines and lines[0].request_id == request_id


def test_access_lines_mask_personal_data_in_the_path() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/tickets?phone=13912345678", "1.1", 200), None)
    assert AccessPathMaskingFilter().filter(record)
    assert "13912345678" not in record.getMessage() and "139****5678" in record.getMessage()
    outside = logging.LogRecord("bot", logging.INFO, __file__, 1, "start-up", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"
