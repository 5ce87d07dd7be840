"""Open311 GeoReport v2 delivery and status sync against a real endpoint on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.dispatch.ports import DispatchMessage
from bot.dispatch.tables import TicketAssignment
from bot.errors import InvalidConfig
from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.dispatch.open311 import Open311Connector, ServiceMapping, load_mapping
from tests.bot.dispatch.factories import make_ticket, open_session
from tests.connectors.dispatch.conftest import drain, outbox_states
from tests.connectors.dispatch.test_webhook_delivery import submit_many


def test_services_list_and_mapping_agree(open311, runtime) -> None:  # noqa: ANN001
    """Every service code our categories map to is offered by the endpoint; an unknown one is refused."""
    connector = runtime.dispatcher
    assert {s["service_code"] for s in connector.services()} >= {"GAS", "MUNICIPAL", "OTHER"}
    connector.check_services()
    bad = Open311Connector(base_url=f"{open311.url}/open311/v2", api_key="k-311", jurisdiction=None, timeout_s=1,
                           mapping=ServiceMapping(default="NOPE"))
    with pytest.raises(InvalidConfig, match="NOPE"):
        bad.check_services()


@pytest.mark.parametrize(("unit", "l1", "l2", "code"), [
    ("city.gas", "城乡建设", "城市建设和市政管理", "GAS"),
    ("haidian.jiaojing", "政法", "交通管理", "TRAFFIC"),
    ("haidian.rsj", "劳动和社会保障", "工资福利", "LABOUR"),
    ("chaoyang.street.望京街道", "城乡建设", "城市建设和市政管理", "MUNICIPAL"),
    ("fengtai.dispatch", "纪检监察", None, "OTHER"),
])
def test_category_to_service_code(unit: str, l1: str, l2: str | None, code: str) -> None:
    """Utilities by unit, then second-level, then first-level category, then the default."""
    message = DispatchMessage(idempotency_key="k", kind="ticket.dispatch", ticket_no="1", unit_id=unit,
                              ticket={"category": {"level1": l1, "level2": l2}})
    assert load_mapping().code_for(message) == code


def test_delivered_once_through_failures_then_closed_by_the_city(open311, runtime) -> None:  # noqa: ANN001
    """500s, a timeout, a lost answer and an outage; then the city closes a request and the citizen hears of it."""
    open311.slow_s = 0.8
    open311.script = ["fail", "timeout", "twice", "fail"]
    open_session(runtime.db_url, "s-311")
    with session_scope(runtime.db_url) as db:
        mine = submit_ticket(db, make_ticket(summary="路口井盖缺失", raw="学院路与成府路交叉口", district="海淀区",
                                             street="学院路街道"), session_id="s-311").ticket_no
    nos = [mine, *submit_many(runtime.db_url, 7)]
    runtime.worker.run_once()
    open311.down_for(0.8)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("delivered", 0) == 8)
    assert set(open311.by_key) == {f"{no}:dispatch:1" for no in nos}
    assert len(open311.store) == 8  # one service request per ticket
    rid = open311.by_key[f"{mine}:dispatch:1"]
    form = open311.store[rid]["form"]
    assert form["service_code"] == "MUNICIPAL" and form["jurisdiction_id"] == "beijing.example"
    assert "海淀区 学院路街道" in form["address_string"] and form["attribute[ticket_no]"] == mine
    assert runtime.dispatcher.request(rid)["status"] == "open"
    open311.close_request(rid, "井盖已补装")
    assert runtime.worker.sync_statuses() == 1
    drain(runtime, lambda: outbox_states(runtime.db_url, "notify").get("pending", 0) == 0)
    with session_scope(runtime.db_url) as db:
        a = db.scalar(select(TicketAssignment).where(TicketAssignment.ticket_no == mine))
        assert a.external_id == rid
        from bot.tickets.service import citizen_view

        view = citizen_view(db, mine, "5678")
    assert view["status"] == "resolved" and view["timeline"][-1]["note"] == "井盖已补装"
    assert runtime.worker.sync_statuses() == 0  # nothing new


def test_bad_request_is_not_retried(open311, runtime, monkeypatch) -> None:  # noqa: ANN001
    """A 400 from the endpoint (no location at all) goes to the dead letters at once."""
    with session_scope(runtime.db_url) as db:
        submit_ticket(db, make_ticket(district=None, street=None, raw=None), session_id=None)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("dead", 0) == 1)
    assert open311.store == {}
