"""Status notifications: customer-service message inside the 48-hour window, template message outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.dispatch.ports import DeliveryRejected
from bot.errors import BackendUnavailable
from connectors.runtime import Runtime
from connectors.wechat import store
from connectors.wechat.notifier import WeChatNotifier
from connectors.wechat.service import build_api
from tests.fakes.wechat_api import FakeWeChatApi

OPENID = "oCitizen_notify_0000000000001"
MESSAGE = "您的工单 20260302123456 已派发至东城区城管委，办理时限为 2026年3月9日 18:00 前。"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def notifier_for(wechat_env: Settings):  # noqa: ANN201
    runtime = Runtime(wechat_env)

    def make(*, last_inbound: datetime | None, **overrides: object) -> WeChatNotifier:
        settings = wechat_env.model_copy(update=overrides)
        if last_inbound is not None:
            store.record_follower(runtime.db_url, openid=OPENID, at=last_inbound, subscribed=True)
        return WeChatNotifier(api=build_api(settings, runtime.db_url), settings=settings, db_url=runtime.db_url,
                              clock=lambda: NOW)

    make.runtime = runtime  # type: ignore[attr-defined]
    return make


def test_inside_the_window_sends_a_customer_service_message(notifier_for, wechat_api: FakeWeChatApi) -> None:
    notifier = notifier_for(last_inbound=NOW - timedelta(hours=47))
    notifier.send("wechat", f"wechat:{OPENID}", MESSAGE)
    assert wechat_api.texts(OPENID) == [MESSAGE]


def test_outside_the_window_sends_the_configured_template(notifier_for, wechat_api: FakeWeChatApi) -> None:
    notifier = notifier_for(last_inbound=NOW - timedelta(hours=49), wechat_template_id="TPL-STATUS",
                            wechat_template_fields={"thing1": "工单进展", "character_string2": "{ticket_no}",
                                                    "time3": "{time}", "remark": "{message}", "bad": "{nope}"},
                            wechat_template_url="https://12345.example.org/t")
    notifier.send("wechat", f"wechat:{OPENID}", MESSAGE)
    [sent] = wechat_api.sent
    assert sent.endpoint == "template"
    assert sent.payload["template_id"] == "TPL-STATUS"
    assert sent.payload["url"] == "https://12345.example.org/t"
    assert sent.payload["data"] == {
        "thing1": {"value": "工单进展"},
        "character_string2": {"value": "20260302123456"},
        "time3": {"value": "2026-03-02 18:00"},
        "remark": {"value": MESSAGE},
        "bad": {"value": ""},
    }


def test_window_closed_by_wechat_falls_back_to_the_template(notifier_for, wechat_api: FakeWeChatApi) -> None:
    notifier = notifier_for(last_inbound=NOW - timedelta(hours=1), wechat_template_id="TPL")
    wechat_api.close_window(OPENID)
    notifier.send("wechat", f"wechat:{OPENID}", MESSAGE)
    assert [s.endpoint for s in wechat_api.sent] == ["template"]


def test_no_template_outside_the_window_is_a_permanent_refusal(notifier_for) -> None:
    notifier = notifier_for(last_inbound=None)
    with pytest.raises(DeliveryRejected):
        notifier.send("wechat", f"wechat:{OPENID}", MESSAGE)


def test_wechat_outage_is_retryable(notifier_for, wechat_api: FakeWeChatApi) -> None:
    notifier = notifier_for(last_inbound=NOW)
    notifier.api._sleep = lambda s: None  # type: ignore[union-attr]
    wechat_api.fail_next("custom", status=503, times=10)
    with pytest.raises(BackendUnavailable):
        notifier.send("wechat", f"wechat:{OPENID}", MESSAGE)


def test_runtime_registers_the_notifier_for_wechat(notifier_for) -> None:
    runtime = notifier_for.runtime
    notifier = runtime.wechat_notifier
    assert "wechat" in runtime.notifier.channels()
    assert isinstance(notifier, WeChatNotifier)
