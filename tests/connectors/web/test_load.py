"""Bounded load on a real server: 30 citizens at once for a few seconds get only replies or 503 with
Retry-After, never a 5xx, a reset or a hang; /healthz keeps answering. The turn gate sheds at once when
its slots are taken. (Speed figures are `python bench/bench_load.py`, not asserted here.)"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import HTTPException

from connectors.app import create_app
from connectors.runtime import Runtime
from connectors.web.admission import TurnGate

USERS = 30
DURATION_S = 4.0
TEXTS = ["你好", "居住证怎么办理？", "小区门口路灯坏了好几天了", "我的工单到哪了", "谢谢", "供暖期是什么时候？"]


@pytest.fixture
def server() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Runtime(), run_worker=False)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # the warm-up fits the classifier; slow on a busy machine
    while True:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not become ready"
        try:
            if uv.started and httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    yield base
    uv.should_exit = True
    thread.join(timeout=10)
    sock.close()


async def _citizen(client: httpx.AsyncClient, n: int, until: float, outcomes: list) -> None:
    rng = random.Random(n)
    while time.monotonic() < until:
        try:
            res = await client.post("/api/chat", json={"session_id": f"load-{n}", "text": rng.choice(TEXTS)})
            outcomes.append((res.status_code, res.headers.get("retry-after")))
        except httpx.HTTPError as exc:
            outcomes.append((type(exc).__name__, None))
        await asyncio.sleep(rng.uniform(0.05, 0.3))


async def _load(base: str) -> tuple[list, list]:
    outcomes: list = []
    health: list = []
    limits = httpx.Limits(max_connections=USERS + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        until = time.monotonic() + DURATION_S

        async def probe() -> None:
            while time.monotonic() < until:
                try:
                    health.append((await client.get("/livez", timeout=30)).status_code)
                except httpx.HTTPError as exc:
                    health.append(type(exc).__name__)
                await asyncio.sleep(0.5)

        await asyncio.gather(probe(), *(_citizen(client, n, until, outcomes) for n in range(USERS)))
    return outcomes, health


@pytest.mark.timeout(1200)  # the server's warm-up fits the classifier first; slow on a busy machine
def test_thirty_citizens_at_once_get_replies_or_a_quick_503(server: str) -> None:
    outcomes, health = asyncio.run(_load(server))
    assert outcomes, "the load ran"
    bad = [o for o in outcomes if not (o[0] == 200 or (o[0] == 503 and o[1]))]
    assert not bad, f"{len(bad)} of {len(outcomes)} turns failed: {bad[:10]}"
    assert any(o[0] == 200 for o in outcomes)
    assert health and all(h == 200 for h in health), health


def test_the_gate_sheds_with_retry_after_when_its_slots_are_taken() -> None:
    gate = TurnGate(slots=1, wait_s=0.05)
    release = threading.Event()

    async def scenario() -> tuple[str, HTTPException]:
        held = asyncio.ensure_future(gate.run(lambda: release.wait(30) and "done"))
        await asyncio.sleep(0)
        while gate.in_flight == 0:
            await asyncio.sleep(0.01)
        with pytest.raises(HTTPException) as shed:
            await gate.run(lambda: "never")
        release.set()
        return await held, shed.value

    first, shed = asyncio.run(scenario())
    assert first == "done"
    assert shed.status_code == 503 and shed.headers["Retry-After"] and gate.shed == 1
