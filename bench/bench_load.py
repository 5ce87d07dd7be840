"""Chat under load: N concurrent citizens against a real server on 127.0.0.1; turns/s and p50/p95/p99.

    python bench/bench_load.py [--users 1,10,50,100] [--duration 20] [--think 0.2-1.0] [--out FILE]
                               [--scenario 50:2-8:60 ...] [--fresh-data]

Serves the app in this process (uvicorn, one worker) on HOTLINE_DATA_DIR (ingest a knowledge base first,
e.g. `hotline ingest knowledge_base/samples`; `--fresh-data` does that in a temporary data dir), or
against --url when a server is already running. Beside the load rows it reports the peer costs measured
in the same process: one turn's wall time with nothing else running, and one uncached e5 query embedding.
Each citizen keeps one session, waits for its reply, thinks a random time in the range, and speaks again.
A 503 with Retry-After is counted as shed; anything else not 200 (5xx, reset, timeout) is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import socket
import statistics
import threading
import time
from pathlib import Path

import httpx

TEXTS = ["你好", "居住证怎么办理？", "供暖期是什么时候？", "小区门口路灯坏了好几天了", "我的工单到哪了",
         "公积金怎么提取", "谢谢", "楼上装修太吵了", "医保报销需要什么材料", "垃圾一直没人清运"]


def _serve() -> tuple[str, object]:
    import uvicorn

    from connectors.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app = create_app(run_worker=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    while True:
        try:
            if server.started and httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return base, server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def _fresh_data_dir() -> Path:
    """A temporary data dir with the sample base ingested (what `make run` serves)."""
    import tempfile

    data = Path(tempfile.mkdtemp(prefix="bench-load-"))
    os.environ["HOTLINE_DATA_DIR"] = str(data)
    from bot.config import get_settings

    get_settings.cache_clear()
    from connectors.runtime import Runtime

    Runtime().knowledge_base.ingest_paths([Path(__file__).resolve().parent.parent / "knowledge_base" / "samples"])
    return data


def _peer_costs(samples: int = 30) -> dict:
    """One turn alone, and one uncached e5 query embedding (the retrieval peer's floor), in this process."""
    from bot.models import Turn
    from connectors.runtime import Runtime

    runtime = Runtime()
    runtime.warm_up()
    embedder = runtime.knowledge_base.embedder
    turns, embeds = [], []
    for i in range(samples):
        text = TEXTS[i % len(TEXTS)]
        embedder.clear_query_cache()
        t0 = time.perf_counter()
        embedder.embed_query(f"{text} {i}")
        embeds.append(time.perf_counter() - t0)
        embedder.clear_query_cache()
        t0 = time.perf_counter()
        runtime.dialog.handle(Turn(session_id=f"web:peer-{i}", text=text, channel="web"))
        turns.append(time.perf_counter() - t0)
    return {"turn_alone_p50_s": _pct(turns, 0.5), "turn_alone_p95_s": _pct(turns, 0.95),
            "e5_query_p50_s": _pct(embeds, 0.5), "e5_query_p95_s": _pct(embeds, 0.95),
            "turn_over_embedding_p50": round((_pct(turns, 0.5) or 0) / max(_pct(embeds, 0.5) or 1e-9, 1e-9), 1)}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 4)


async def _run(base: str, users: int, duration: float, think: tuple[float, float]) -> dict:
    latencies: list[float] = []
    outcome = {"ok": 0, "shed": 0, "error": 0}
    errors: dict[str, int] = {}
    until = time.monotonic() + duration
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        async def citizen(n: int) -> None:
            rng = random.Random(n)
            await asyncio.sleep(rng.uniform(0, think[1]))  # start together, within one think time
            while time.monotonic() < until:
                start = time.perf_counter()
                try:
                    res = await client.post("/api/chat", json={"session_id": f"bench-{users}-{n}",
                                                               "text": rng.choice(TEXTS)})
                    kind = "ok" if res.status_code == 200 else (
                        "shed" if res.status_code == 503 and res.headers.get("retry-after") else "error")
                    if kind == "error":
                        errors[str(res.status_code)] = errors.get(str(res.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    kind = "error"
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                elapsed = time.perf_counter() - start
                outcome[kind] += 1
                if kind == "ok":
                    latencies.append(elapsed)
                await asyncio.sleep(rng.uniform(*think))

        t0 = time.monotonic()
        await asyncio.gather(*(citizen(n) for n in range(users)))
        wall = time.monotonic() - t0
    return {"users": users, "think_s": list(think), "duration_s": round(wall, 1), **outcome, "errors": errors,
            "turns_per_s": round(outcome["ok"] / wall, 2), "p50_s": _pct(latencies, 0.5),
            "p95_s": _pct(latencies, 0.95), "p99_s": _pct(latencies, 0.99),
            "mean_s": round(statistics.fmean(latencies), 4) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,50,100")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--think", default="0.2-1.0", help="seconds between a reply and the next message, lo-hi")
    parser.add_argument("--url", default=None, help="a running server instead of one in this process")
    parser.add_argument("--scenario", action="append", default=[],
                        help="extra run USERS:LO-HI:SECONDS, e.g. 50:2-8:60 (citizens typing at a human pace)")
    parser.add_argument("--fresh-data", action="store_true", help="serve a temporary data dir with the samples")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)  # the server's and httpx's per-request lines would drown the rows
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.fresh_data and not args.url:
        _fresh_data_dir()
    lo, hi = (float(x) for x in args.think.split("-"))
    runs = [(int(u), (lo, hi), args.duration) for u in args.users.split(",")]
    for spec in args.scenario:
        users, think, seconds = spec.split(":")
        a, b = (float(x) for x in think.split("-"))
        runs.append((int(users), (a, b), float(seconds)))
    peer = None if args.url else _peer_costs()
    base = args.url or _serve()[0]
    rows = []
    for users, think, seconds in runs:
        row = asyncio.run(_run(base, users, seconds, think))
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    result = {"bench": "load", "cores": os.cpu_count(), "peer": peer, "rows": rows}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
