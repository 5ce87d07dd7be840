"""The customer-service/template API client against the fake WeChat API: tokens, limits, 5xx."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.errors import BackendUnavailable
from bot.store.db import create_schema
from connectors.wechat.push import WeChatApi, WeChatRejected, WindowClosed
from tests.fakes.wechat_api import APPID, SECRET, FakeWeChatApi

OPENID = "oCitizen_push_000000000000001"


@pytest.fixture
def make_api(tmp_path, wechat_api: FakeWeChatApi) -> Callable[..., WeChatApi]:
    db_url = f"sqlite:///{tmp_path / 'push.db'}"
    create_schema(db_url)
    sleeps: list[float] = []

    def make(**kw: object) -> WeChatApi:
        options = {"appid": APPID, "secret": SECRET, "api_base": wechat_api.base_url, "db_url": db_url,
                   "sleep": sleeps.append} | kw
        return WeChatApi(**options)  # type: ignore[arg-type]

    make.sleeps = sleeps  # type: ignore[attr-defined]
    return make


def test_token_is_fetched_once_and_shared_between_processes(make_api, wechat_api: FakeWeChatApi) -> None:
    first, second = make_api(), make_api()
    first.send_text(OPENID, "一")
    first.send_text(OPENID, "二")
    second.send_text(OPENID, "三")
    assert wechat_api.token_requests == 1
    assert wechat_api.texts(OPENID) == ["一", "二", "三"]


@pytest.mark.parametrize("errcode", [42001, 40001])
def test_expired_or_invalid_token_is_refreshed_and_the_message_sent(make_api, wechat_api, errcode: int) -> None:
    api = make_api()
    api.send_text(OPENID, "之前")
    wechat_api.expire_tokens(errcode)
    api.send_text(OPENID, "之后")
    assert wechat_api.token_requests == 2
    assert wechat_api.texts(OPENID) == ["之前", "之后"]
    assert make_api.sleeps == []  # a token refresh is not a reason to wait


def test_rate_limit_and_5xx_are_retried_with_backoff(make_api, wechat_api: FakeWeChatApi) -> None:
    api = make_api()
    wechat_api.fail_next("custom", errcode=45009)
    wechat_api.fail_next("custom", status=502)
    api.send_text(OPENID, "终于")
    assert wechat_api.texts(OPENID) == ["终于"]
    assert make_api.sleeps == [0.5, 1.0]


def test_persistent_5xx_becomes_backend_unavailable(make_api, wechat_api: FakeWeChatApi) -> None:
    wechat_api.fail_next("custom", status=500, times=10)
    with pytest.raises(BackendUnavailable, match="HTTP 500"):
        make_api().send_text(OPENID, "失败")
    assert wechat_api.sent == []


def test_token_endpoint_outage_is_retried(make_api, wechat_api: FakeWeChatApi) -> None:
    wechat_api.fail_next("token", status=503)
    make_api().send_text(OPENID, "令牌恢复")
    assert wechat_api.texts(OPENID) == ["令牌恢复"]


def test_wrong_secret_is_a_permanent_rejection(make_api, wechat_api: FakeWeChatApi) -> None:
    with pytest.raises(WeChatRejected) as caught:
        make_api(secret="wrong").send_text(OPENID, "x")
    assert caught.value.errcode == 40125


def test_closed_window_is_reported_as_such(make_api, wechat_api: FakeWeChatApi) -> None:
    wechat_api.close_window(OPENID)
    with pytest.raises(WindowClosed):
        make_api().send_text(OPENID, "x")


def test_template_message(make_api, wechat_api: FakeWeChatApi) -> None:
    make_api().send_template(OPENID, template_id="TPL", data={"first": "进展"}, url="https://example.org/t")
    [sent] = wechat_api.sent
    assert sent.endpoint == "template"
    assert sent.payload == {"touser": OPENID, "template_id": "TPL", "data": {"first": {"value": "进展"}},
                            "url": "https://example.org/t"}


def test_unreachable_api_is_backend_unavailable(make_api) -> None:
    api = make_api(api_base="http://127.0.0.1:9/cgi-bin/")
    with pytest.raises(BackendUnavailable):
        api.send_text(OPENID, "x")
