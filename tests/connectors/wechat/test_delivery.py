"""The 5-second rule and retries: one message is processed once and answered once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from connectors.wechat import store
from connectors.wechat.handler import dedup_key
from tests.connectors.wechat.conftest import Harness, StandInDialog

OPENID = "oCitizen_delivery_00000000001"


def _state(h: Harness, fields: dict) -> str | None:
    claim = store.read_claim(h.runtime.db_url, dedup_key(fields))
    return claim.state if claim else None


def test_same_msgid_three_times_is_processed_once(harness: Harness) -> None:
    fields = harness.sim.text(OPENID, "楼下施工太吵了")
    replies = [harness.sim.send(fields).reply for _ in range(3)]
    assert len(harness.dialog.turns) == 1
    # A retry means WeChat lost our answer, so it gets the same reply again; nothing is pushed.
    assert replies == ["收到：楼下施工太吵了"] * 3
    assert harness.api.sent == []


def test_retries_during_a_running_turn_wait_for_it(make_harness) -> None:
    h: Harness = make_harness()
    h.dialog.delay = 1.0
    fields = h.sim.text(OPENID, "并发重试")
    with ThreadPoolExecutor(3) as pool:
        deliveries = list(pool.map(lambda _: h.sim.send(fields), range(3)))
    assert len(h.dialog.turns) == 1
    assert [d.reply for d in deliveries] == ["收到：并发重试"] * 3
    assert h.api.sent == []


def test_events_are_deduplicated_by_sender_and_time(harness: Harness) -> None:
    event = harness.sim.event(OPENID, "CLICK", "MENU_PROGRESS", create_time=1700000100)
    for _ in range(3):
        harness.sim.send(event)
    assert len(harness.dialog.turns) == 1
    other_time = harness.sim.event(OPENID, "CLICK", "MENU_PROGRESS", create_time=1700000101)
    harness.sim.send(other_time)
    assert len(harness.dialog.turns) == 2


def test_slow_turn_answers_success_in_budget_then_pushes_once(make_harness) -> None:
    h: Harness = make_harness(budget=0.5)
    h.dialog.gate = threading.Event()
    fields = h.sim.text(OPENID, "慢慢来")
    first = h.sim.send(fields)
    # The passive reply came back while the turn was still held: the budget, not the turn, ended it.
    assert (first.body, first.reply) == ("success", None)
    assert h.api.sent == []
    # WeChat got "success", so it does not retry; if a retry comes anyway it must not answer twice.
    again = h.sim.send(fields)
    assert again.body == "success"
    h.dialog.gate.set()
    [pushed] = h.api.wait_for(1, timeout=5)
    assert (pushed.touser, pushed.content) == (OPENID, "收到：慢慢来")
    time.sleep(0.3)
    assert len(h.api.sent) == 1 and len(h.dialog.turns) == 1
    assert _state(h, fields) == store.PUSHED


def test_retry_that_runs_out_of_time_hands_the_answer_to_a_push(make_harness) -> None:
    # Two processes on one database: the first owns the turn, the retry lands on the second.
    owner: Harness = make_harness(budget=3.0)
    other: Harness = make_harness(budget=0.3, dialog=owner.dialog)
    owner.dialog.delay = 2.5  # long enough that the retry lands mid-turn even on a loaded machine
    fields = owner.sim.text(OPENID, "跨进程重试")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(owner.sim.send, fields)
        time.sleep(0.2)
        retry = other.sim.send(fields)
        assert retry.body == "success"
        first.result()
    # WeChat has given up on the first delivery once it retries, so whatever the owner answered,
    # the reply reaches the citizen as a push, exactly once.
    [pushed] = owner.api.wait_for(1, timeout=5)
    assert pushed.content == "收到：跨进程重试"
    assert len(owner.dialog.turns) == 1


def test_claims_survive_a_restart(make_harness) -> None:
    before: Harness = make_harness()
    fields = before.sim.text(OPENID, "重启之前")
    assert before.sim.send(fields).reply == "收到：重启之前"
    after: Harness = make_harness(dialog=StandInDialog())
    assert after.sim.send(fields).reply == "收到：重启之前"
    assert after.dialog.turns == []


def test_long_reply_is_split_and_pushed_in_order(make_harness) -> None:
    h: Harness = make_harness()
    answer = "\n".join(f"第{i}条：" + "政策说明内容。" * 20 for i in range(12))
    h.dialog.answer = lambda turn: answer
    delivery = h.sim.send(h.sim.text(OPENID, "长回答"))
    assert delivery.body == "success"
    h.api.wait_for(3, timeout=5)
    time.sleep(0.3)
    parts = h.api.texts(OPENID)
    assert len(parts) == 3
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert [p.rsplit("\n", 1)[1] for p in parts] == ["（1/3）", "（2/3）", "（3/3）"]
    assert "".join(p.rsplit("\n", 1)[0] for p in parts).replace("\n", "") == answer.replace("\n", "")


def test_long_reply_without_push_api_is_cut_to_one_passive_reply(make_harness) -> None:
    h: Harness = make_harness(with_api=False)
    h.dialog.answer = lambda turn: "很长的内容。" * 1000
    reply = h.sim.send(h.sim.text(OPENID, "长回答")).reply or ""
    assert len(reply.encode()) <= 2048 and reply.endswith("详情可拨打12345咨询）")


def test_failing_turn_still_gets_an_answer(make_harness) -> None:
    h: Harness = make_harness()

    def boom(turn):  # noqa: ANN001, ANN202
        raise RuntimeError("dialogue bug")

    h.dialog.answer = boom
    assert "系统暂时繁忙" in (h.sim.send(h.sim.text(OPENID, "你好")).reply or "")


def test_push_failure_is_recorded_not_raised(make_harness) -> None:
    h: Harness = make_harness(budget=0.3)
    h.channel.api._backoff_s = 0.01  # type: ignore[union-attr]
    h.dialog.delay = 0.6
    h.api.fail_next("custom", status=503, times=10)
    fields = h.sim.text(OPENID, "推送失败")
    assert h.sim.send(fields).body == "success"
    deadline = time.monotonic() + 5
    while _state(h, fields) != store.FAILED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(h, fields) == store.FAILED
    h.dialog.delay = 0
    assert h.sim.send(h.sim.text(OPENID, "之后")).reply == "收到：之后"


def test_one_citizens_messages_run_one_at_a_time(make_harness) -> None:
    h: Harness = make_harness()
    running: list[int] = []
    overlaps: list[int] = []

    def answer(turn):  # noqa: ANN001, ANN202
        running.append(1)
        if len(running) > 1:
            overlaps.append(1)
        time.sleep(0.2)
        running.pop()
        return f"收到：{turn.text}"

    h.dialog.answer = answer
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda i: h.sim.send(h.sim.text(OPENID, f"第{i}条")).reply, range(3)))
    assert sorted(replies) == ["收到：第0条", "收到：第1条", "收到：第2条"]
    assert overlaps == []


def test_a_stalled_database_cannot_hold_the_answer_past_the_budget(make_harness) -> None:
    import sqlite3

    h: Harness = make_harness(budget=0.5)
    h.sim.send(h.sim.text(OPENID, "先打个招呼"))  # opens the pooled connection the stalled writes will use
    path = h.runtime.db_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock, as a long turn might
    try:
        delivery = h.sim.send(h.sim.text(OPENID, "数据库很忙"))
        # The reply came back while the database was still locked: nothing could have been pushed yet.
        assert delivery.body == "success" and h.api.sent == []
        blocker.commit()
        [pushed] = h.api.wait_for(1, timeout=10)
        assert pushed.content == "收到：数据库很忙"
        time.sleep(0.3)
        assert len(h.api.sent) == 1 and len(h.dialog.turns) == 2
    finally:
        blocker.close()
