"""WeChat's API for messages we start: customer-service (客服消息) and template messages.

wechatpy's client does the HTTP; this module owns the access token (cached in the database so
every process shares one, refreshed before expiry and after 40001/42001), the retries for rate
limits and 5xx answers, and the mapping of failures onto `bot.errors`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.errors import BackendUnavailable
from bot.store.db import utcnow
from connectors.wechat import store

log = logging.getLogger(__name__)

# Token errors: invalid credential, invalid token, token expired.
TOKEN_ERRORS = {40001, 40014, 42001}
# Worth another try after a pause: system busy, frequency limits.
TRANSIENT_ERRORS = {-1, 45009, 45011}
# Customer-service window closed (45015), or its message quota used up (45047): use a template instead.
WINDOW_ERRORS = {45015, 45047}
# Refresh this long before WeChat's stated expiry, so a token never dies mid-request.
TOKEN_MARGIN = timedelta(seconds=300)


class WindowClosed(BackendUnavailable):
    """WeChat refused a customer-service message: the 48-hour window is closed or its quota is spent."""


class WeChatRejected(BackendUnavailable):
    """WeChat refused the request for good (bad openid, unfollowed, bad template); retrying will not help."""

    def __init__(self, errcode: int | None, errmsg: str | None) -> None:
        super().__init__(f"WeChat refused the message: {errcode} {errmsg}")
        self.errcode = errcode


class DatabaseTokenStorage(SessionStorage):
    """wechatpy's session storage over the `wechat_tokens` table, honouring each value's TTL."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def get(self, key: str, default: Any = None) -> Any:
        """The cached value unless missing or within the refresh margin of its expiry."""
        found = store.get_token(self.db_url, key)
        if found is None:
            return default
        value, expires_at = found
        if expires_at is not None and expires_at - TOKEN_MARGIN <= utcnow():
            return default
        return value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        """Store `value`; with `ttl` seconds it expires."""
        if value is None:
            return
        expires_at = utcnow() + timedelta(seconds=int(ttl)) if ttl else None
        store.put_token(self.db_url, key, str(value), expires_at)

    def delete(self, key: str) -> None:
        """Forget the value."""
        store.delete_token(self.db_url, key)


class _Client(WeChatClient):
    """wechatpy's client, pointed at a configurable API base (WeChat's own, or a local fake in tests)."""

    def __init__(self, *, appid: str, secret: str, api_base: str, storage: SessionStorage, timeout: Any) -> None:
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base

    def fetch_access_token(self) -> dict[str, Any]:
        """GET {api_base}token, as wechatpy does against WeChat's fixed URL."""
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WeChatApi:
    """Sends customer-service and template messages, with one shared, refreshed access token."""

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        api_base: str,
        db_url: str,
        attempts: int = 4,
        backoff_s: float = 0.5,
        timeout: tuple[float, float] = (3.0, 10.0),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        api_base = api_base if api_base.endswith("/") else api_base + "/"
        self._client = _Client(appid=appid, secret=secret, api_base=api_base,
                               storage=DatabaseTokenStorage(db_url), timeout=timeout)
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._refresh_lock = threading.Lock()

    def send_text(self, openid: str, content: str) -> None:
        """One customer-service text message; raises `WindowClosed` outside the 48-hour window."""
        self._post("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": content}})

    def send_template(self, openid: str, *, template_id: str, data: dict[str, str], url: str | None = None) -> None:
        """One template message (works outside the window, to followers)."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if url:
            payload["url"] = url
        self._post("message/template/send", payload)

    # -- token -------------------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        return self._client.access_token_key

    def _token(self) -> str:
        token = self._client.session.get(self._token_key)
        return token if token else self._refresh(stale=None)

    def _refresh(self, *, stale: str | None) -> str:
        """Fetch a new token unless another thread already replaced the `stale` one."""
        with self._refresh_lock:
            current = self._client.session.get(self._token_key)
            if current and current != stale:
                return current
            log.info("fetching a WeChat access token")
            try:
                result = self._client.fetch_access_token()
            except WeChatClientException as exc:
                if exc.errcode is None:
                    raise BackendUnavailable(f"WeChat token endpoint failed: HTTP {_status(exc)}") from exc
                raise WeChatRejected(exc.errcode, f"token: {exc.errmsg}") from exc
            except (requests.RequestException, ValueError, KeyError) as exc:
                raise BackendUnavailable(f"WeChat token endpoint unreachable: {type(exc).__name__}") from exc
            return str(result["access_token"])

    # -- calls -------------------------------------------------------------------------------

    def _post(self, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST with retries: a fresh token after token errors, backoff after limits, 5xx and network errors."""
        last_error = "no attempt made"
        pauses = 0
        pause = False
        for _attempt in range(self._attempts):
            if pause:
                self._sleep(self._backoff_s * (2**pauses))
                pauses += 1
            # Limits, 5xx and network errors wait before the next try; a token refresh does not.
            pause = True
            try:
                token = self._token()
            except WeChatRejected:
                raise
            except BackendUnavailable as exc:
                last_error = str(exc)
                continue
            try:
                result = self._client.post(endpoint, data=payload, params={"access_token": token})
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS:
                    log.info("WeChat token rejected (%s); refreshing", exc.errcode)
                    last_error = f"token error {exc.errcode}"
                    pause = False
                    try:
                        self._refresh(stale=token)
                    except WeChatRejected:
                        raise
                    except BackendUnavailable as refresh_error:
                        last_error = str(refresh_error)
                    continue
                if exc.errcode in WINDOW_ERRORS:
                    raise WindowClosed(f"customer-service window closed: {exc.errcode}") from exc
                if exc.errcode in TRANSIENT_ERRORS:
                    last_error = f"rate limited or busy: {exc.errcode}"
                    continue
                if exc.errcode is None:
                    status = _status(exc)
                    last_error = f"HTTP {status}"
                    if status is not None and status < 500 and status != 429:
                        raise BackendUnavailable(f"WeChat API answered HTTP {status}") from exc
                    continue
                raise WeChatRejected(exc.errcode, exc.errmsg) from exc
            except (requests.RequestException, ValueError) as exc:
                last_error = type(exc).__name__
                continue
            if not isinstance(result, dict):
                last_error = "answer was not JSON"
                continue
            return result
        raise BackendUnavailable(f"WeChat API {endpoint} failed after {self._attempts} attempts: {last_error}")


def _status(exc: WeChatClientException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)

