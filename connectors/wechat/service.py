"""The WeChat channel: one message in, answered exactly once, passively within the 5-second rule or pushed.

WeChat waits 5 s for the HTTP answer and then retries (three deliveries in all). Each delivery is
handled on a control thread: it claims the message in the database (only the first delivery
wins), runs the turn on a bounded pool (one citizen's turns in order) and waits up to the budget
(~4 s, counted from the request's arrival). In time: a passive reply, remembered so that a retry
gets the same reply. Late: "success", and the finished reply goes out through the
customer-service API. The request itself only waits for the control thread's decision, so not even
a stalled database can hold it past the budget; whatever the control thread learns after the
request left with "success" is delivered by push.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio

from bot.config import Settings
from bot.errors import BackendUnavailable
from bot.models import Reply, Turn
from bot.pii import mask
from connectors.wechat import store
from connectors.wechat.handler import Inbound
from connectors.wechat.protocol import build_crypto
from connectors.wechat.push import WeChatApi
from connectors.wechat.split import split_reply

if TYPE_CHECKING:
    from connectors.runtime import Runtime
    from connectors.wechat.notifier import WeChatNotifier

log = logging.getLogger(__name__)

FALLBACK_REPLY = "抱歉，系统暂时繁忙，请稍后再试，或直接拨打12345热线。"
# How often a retry checks on a delivery that another process is running.
POLL_S = 0.05
# Claims older than this can no longer be retried by WeChat (it gives up after ~15 s).
CLAIM_TTL = timedelta(days=2)
# The 48-hour window's start may lag by this much; the notifier stops early by more than that.
FOLLOWER_SLACK = timedelta(minutes=10)

# Requests waiting on turns hold a thread each; cap them well above the turn pool so waits never queue.
WAITING_THREADS = 256

TurnHandler = Callable[[Turn], Reply]


@dataclass(frozen=True)
class Answer:
    """What the webhook returns: a passive text reply, or None for "success"."""

    text: str | None


SUCCESS = Answer(None)


class _Pending:
    """One waiting request and its answer; once the request has answered "success" it cannot be changed."""

    def __init__(self) -> None:
        self.decided = threading.Event()
        self._lock = threading.Lock()
        self._answer: Answer | None = None
        self._failed = False
        self._abandoned = False

    def offer(self, answer: Answer) -> bool:
        """Give the request its answer; False when it already left with "success"."""
        with self._lock:
            if self._abandoned:
                return False
            if self._answer is None:
                self._answer = answer
            self.decided.set()
            return True

    def fail(self) -> None:
        """The delivery broke on our side: the request answers 5xx, so WeChat delivers it again."""
        with self._lock:
            if self._answer is None and not self._abandoned:
                self._failed = True
                self.decided.set()

    @property
    def abandoned(self) -> bool:
        """True once the request has answered "success" without waiting any longer."""
        with self._lock:
            return self._abandoned

    def settle(self) -> Answer:
        """The answer, or "success" (and no later answer) when none came in time; raises on failure."""
        with self._lock:
            if self._failed:
                raise DeliveryFailed("the delivery could not be handled")
            if self._answer is None:
                self._abandoned = True
                return SUCCESS
            return self._answer


class DeliveryFailed(RuntimeError):
    """Handling the delivery failed before any answer was decided."""


class WeChatChannel:
    """Runs inbound messages through the dialogue once each and delivers each reply once."""

    def __init__(
        self,
        *,
        settings: Settings,
        db_url: str,
        handle_turn: TurnHandler,
        api: WeChatApi | None = None,
    ) -> None:
        self.settings = settings
        self.db_url = db_url
        self._handle_turn = handle_turn
        self.api = api
        self.budget_s = settings.wechat_reply_budget_s
        self.crypto = build_crypto(token=settings.wechat_token or "", aes_key=settings.wechat_aes_key,
                                   appid=settings.wechat_appid)
        self.limiter = anyio.CapacityLimiter(WAITING_THREADS)
        self._turns = ThreadPoolExecutor(max_workers=max(1, settings.wechat_workers), thread_name_prefix="wechat-turn")
        # Pushes get their own threads so a busy turn pool never delays an answer that is ready.
        self._pushes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wechat-push")
        # Control threads claim, wait for the turn (at most the budget) and settle the claim.
        self._control = ThreadPoolExecutor(max_workers=WAITING_THREADS, thread_name_prefix="wechat-control")
        self._inflight: dict[str, Future[str | None]] = {}
        self._lock = threading.Lock()
        self._claims_since_prune = 0
        # openid -> (window start last written, subscribed): most messages need no follower write.
        self._followers: dict[str, tuple[datetime, bool]] = {}

    def close(self) -> None:
        """Finish running turns and pushes, then stop the pools."""
        self._control.shutdown(wait=True)
        self._turns.shutdown(wait=True)
        self._pushes.shutdown(wait=True)

    # -- the 5-second rule -------------------------------------------------------------------

    def respond(self, inbound: Inbound, *, started: float | None = None) -> Answer:
        """Answer one delivery of one message within the budget, counted from `started` (monotonic).

        The delivery is handled on a control thread; this call only waits for its decision. So even a
        stalled database (another writer holding SQLite's lock) cannot hold the answer past the budget.
        """
        deadline = (started if started is not None else time.monotonic()) + self.budget_s
        pending = _Pending()
        self._control.submit(self._handle, inbound, pending, deadline)
        pending.decided.wait(timeout=max(0.0, deadline - time.monotonic()))
        return pending.settle()

    def _handle(self, inbound: Inbound, pending: _Pending, deadline: float) -> None:
        try:
            self._note_follower(inbound)
            if store.claim(self.db_url, key=inbound.dedup_key, openid=inbound.openid, msg_type=inbound.kind):
                self._maybe_prune()
                self._handle_own(inbound, pending, deadline)
            else:
                log.info("wechat retry of %s (%s)", inbound.dedup_key, inbound.kind)
                self._handle_retry(inbound, pending, deadline)
        except Exception:
            log.exception("wechat delivery of %s failed", inbound.dedup_key)
            pending.fail()

    def _handle_own(self, inbound: Inbound, pending: _Pending, deadline: float) -> None:
        if inbound.turn is None:
            # Fixed answers (welcome, menu prompts) need no dialogue, so they never queue behind turns.
            future: Future[str | None] = Future()
            future.set_result(inbound.reply)
        else:
            future = self._turns.submit(self._run, inbound)
        with self._lock:
            self._inflight[inbound.dedup_key] = future
        future.add_done_callback(lambda _f: self._forget(inbound.dedup_key))
        try:
            text = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            log.info("wechat turn %s missed the %.1fs budget; will push", inbound.dedup_key, self.budget_s)
            pending.offer(SUCCESS)
            self._defer(inbound, future)
            return
        if text is None:  # nothing to say (an unfollow, a receipt): "success", and the same for retries
            store.transition(self.db_url, inbound.dedup_key, from_states=[store.PROCESSING],
                             to_state=store.REPLIED, reply="")
            pending.offer(SUCCESS)
            return
        parts = split_reply(text)
        if len(parts) > 1 and self.api is None:
            parts = split_reply(text, max_parts=1)
        if len(parts) == 1 and store.transition(self.db_url, inbound.dedup_key, from_states=[store.PROCESSING],
                                                to_state=store.REPLIED, reply=parts[0]):
            if not pending.offer(Answer(parts[0])):
                # The request gave up waiting on the database and answered "success": push it instead.
                self._push(inbound, future, from_state=store.REPLIED)
            return
        # Several parts, or a retry already answered "success" for this message: push it all.
        pending.offer(SUCCESS)
        self._defer(inbound, future)

    def _defer(self, inbound: Inbound, future: Future[str | None]) -> None:
        """Hand the reply to the push path: mark the claim, then push when the turn is done."""
        store.transition(self.db_url, inbound.dedup_key, from_states=[store.PROCESSING], to_state=store.DEFERRED)
        future.add_done_callback(lambda f: self._schedule_push(inbound, f))

    def _handle_retry(self, inbound: Inbound, pending: _Pending, deadline: float) -> None:
        """A repeated delivery: replay the passive reply, or wait for it, or hand the answer to a push."""
        with self._lock:
            future = self._inflight.get(inbound.dedup_key)
        if future is not None:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                pass
        while True:
            claim = store.read_claim(self.db_url, inbound.dedup_key)
            if claim is None:  # pruned: far too old to be a real retry
                pending.offer(SUCCESS)
                return
            if claim.state == store.REPLIED:
                # WeChat retries only when it did not get our answer, so giving it again is not a second answer.
                if not pending.offer(Answer(claim.reply or None)) and claim.reply:
                    # This delivery already said "success" (it ran out of time), and the earlier passive
                    # reply is what WeChat gave up on: the citizen only gets it by push.
                    self._send(inbound, claim.reply, from_state=store.REPLIED)
                return
            if claim.state != store.PROCESSING:
                pending.offer(SUCCESS)
                return
            if time.monotonic() >= deadline or pending.abandoned:
                # Out of time with the turn still running: this delivery says "success", so the owner must push.
                pending.offer(SUCCESS)
                if store.transition(self.db_url, inbound.dedup_key, from_states=[store.PROCESSING],
                                    to_state=store.DEFERRED):
                    return
                continue
            time.sleep(POLL_S)

    def _note_follower(self, inbound: Inbound) -> None:
        """Record the 48-hour window's start, skipping writes that would move it by under FOLLOWER_SLACK."""
        at = inbound.received_at if inbound.opens_window else None
        with self._lock:
            known = self._followers.get(inbound.openid)
            fresh = (known is not None and inbound.subscribed in (None, known[1])
                     and (at is None or at - known[0] < FOLLOWER_SLACK))
        if fresh:
            return
        store.record_follower(self.db_url, openid=inbound.openid, at=at, subscribed=inbound.subscribed)
        with self._lock:
            if len(self._followers) > 100_000:
                self._followers.clear()
            previous = self._followers.get(inbound.openid)
            self._followers[inbound.openid] = (
                max(at, previous[0]) if at and previous else at or (previous[0] if previous else store.EPOCH),
                inbound.subscribed if inbound.subscribed is not None else (previous[1] if previous else True),
            )

    # -- running and pushing -----------------------------------------------------------------

    def _run(self, inbound: Inbound) -> str | None:
        """The reply text for one message; never raises, so every message gets an answer."""
        if inbound.turn is None:
            return inbound.reply
        try:
            # The dialogue runs one citizen's turns one at a time (bot.dialog's session lock).
            with store.writing(self.db_url, short=False):
                began = time.monotonic()
                reply = self._handle_turn(inbound.turn)
                took = time.monotonic() - began
        except Exception:
            log.exception("wechat turn failed for %s (%s)", inbound.dedup_key, inbound.kind)
            return FALLBACK_REPLY
        log.info("wechat %s -> intent=%s awaiting=%s in %.0f ms: %s", inbound.kind, reply.intent, reply.awaiting,
                 took * 1000, mask(reply.reply[:80]))
        if not reply.reply and reply.handoff is not None and reply.handoff.status == "with_agent":
            return None  # an agent holds the conversation: the bot says nothing ("success")
        return reply.reply or FALLBACK_REPLY

    def _forget(self, key: str) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    def _schedule_push(self, inbound: Inbound, future: Future[str | None]) -> None:
        try:
            self._pushes.submit(self._push, inbound, future)
        except RuntimeError:  # shutting down
            log.warning("wechat push for %s dropped at shutdown", inbound.dedup_key)

    def _push(self, inbound: Inbound, future: Future[str | None], *, from_state: str = store.DEFERRED) -> None:
        """Send a finished turn's reply through the customer-service API, if nobody has yet."""
        try:
            text = future.result()
        except Exception:  # _run never raises; this guards the pool itself
            text = FALLBACK_REPLY
        self._send(inbound, text, from_state=from_state)

    def _send(self, inbound: Inbound, text: str | None, *, from_state: str) -> None:
        """Claim the push (from `from_state`) and send `text` in parts; record pushed or failed."""
        if not store.transition(self.db_url, inbound.dedup_key, from_states=[from_state],
                                to_state=store.PUSHING, reply=text or ""):
            return
        if not text:
            store.transition(self.db_url, inbound.dedup_key, from_states=[store.PUSHING], to_state=store.PUSHED)
            return
        if self.api is None:
            log.warning("wechat reply for %s is late but no AppID/AppSecret is configured to push it",
                        inbound.dedup_key)
            store.transition(self.db_url, inbound.dedup_key, from_states=[store.PUSHING], to_state=store.FAILED)
            return
        try:
            for part in split_reply(text):
                self.api.send_text(inbound.openid, part)
        except BackendUnavailable as exc:
            log.warning("wechat push for %s failed: %s", inbound.dedup_key, exc)
            store.transition(self.db_url, inbound.dedup_key, from_states=[store.PUSHING], to_state=store.FAILED)
            return
        store.transition(self.db_url, inbound.dedup_key, from_states=[store.PUSHING], to_state=store.PUSHED)

    def _maybe_prune(self) -> None:
        self._claims_since_prune += 1
        if self._claims_since_prune >= 1000:
            self._claims_since_prune = 0
            self._pushes.submit(store.prune_claims, self.db_url, older_than=CLAIM_TTL)


def build_api(settings: Settings, db_url: str) -> WeChatApi | None:
    """The customer-service/template API client, when an AppID and AppSecret are configured."""
    if not (settings.wechat_appid and settings.wechat_secret):
        return None
    return WeChatApi(appid=settings.wechat_appid, secret=settings.wechat_secret,
                     api_base=settings.wechat_api_base, db_url=db_url)


def build_channel(*, runtime: Runtime) -> WeChatChannel:
    """The channel as the app runs it: the real dialogue and, when configured, the push API."""
    return WeChatChannel(settings=runtime.settings, db_url=runtime.db_url,
                         handle_turn=lambda turn: runtime.dialog.handle(turn),
                         api=build_api(runtime.settings, runtime.db_url))


def build_notifier(*, runtime: Runtime) -> WeChatNotifier:
    """The status-update notifier for WeChat followers, as registered for channel "wechat"."""
    from connectors.wechat.notifier import WeChatNotifier

    return WeChatNotifier(api=build_api(runtime.settings, runtime.db_url), settings=runtime.settings,
                          db_url=runtime.db_url)
