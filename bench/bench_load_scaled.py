"""Chat under load on the scale path: PostgreSQL, a Chroma server, and `hotline serve` with 1 and 2 worker
processes, side by side in one run.

    python bench/bench_load_scaled.py [--users 50,100] [--duration 20] [--think 0.2-1.0] [--out FILE]

Starts a throwaway PostgreSQL (Debian's server binaries) and `chroma run` on loopback ports, ingests the
sample base into them, then serves it with HOTLINE_WORKER=off and the given worker counts and drives the
same citizens as bench_load.py against each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import _run  # noqa: E402
from tests.fakes.postgres import create_database, running_postgres  # noqa: E402

BIN = Path(sys.executable).parent
HOTLINE = [sys.executable, "-m", "connectors.cli"]  # this checkout's code, whatever the venv points at


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, *, timeout_s: float = 900) -> None:
    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s} s")


@contextmanager
def _process(cmd: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for(ready_url)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,100")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--think", default="0.2-1.0")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    lo, hi = (float(x) for x in args.think.split("-"))
    work = Path(tempfile.mkdtemp(prefix="bench-scaled-"))
    rows = []
    with running_postgres() as server:
        chroma_port = _free_port()
        env = {**os.environ, "HOTLINE_DATA_DIR": str(work / "data"), "HOTLINE_DATABASE_URL": create_database(server),
               "HOTLINE_CHROMA_HOST": "127.0.0.1", "HOTLINE_CHROMA_PORT": str(chroma_port),
               "HOTLINE_WORKER": "off", "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(ROOT)}
        chroma = [str(BIN / "chroma"), "run", "--path", str(work / "chroma"), "--host", "127.0.0.1",
                  "--port", str(chroma_port)]
        with _process(chroma, env, f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", work / "chroma.log"):
            subprocess.run([*HOTLINE, "ingest", str(ROOT / "knowledge_base" / "samples")], env=env,
                           check=True, capture_output=True)
            for workers in (int(w) for w in args.workers.split(",")):
                port = _free_port()
                serve = [*HOTLINE, "serve", "--port", str(port), "--workers", str(workers)]
                with _process(serve, env, f"http://127.0.0.1:{port}/healthz", work / f"serve-{workers}.log"):
                    base = f"http://127.0.0.1:{port}"
                    for users in (int(u) for u in args.users.split(",")):
                        row = {"workers": workers, "database": "postgresql", "vectors": "chroma server",
                               **asyncio.run(_run(base, users, args.duration, (lo, hi)))}
                        rows.append(row)
                        print(json.dumps(row, ensure_ascii=False), flush=True)
    by = {(r["workers"], r["users"]): r["turns_per_s"] for r in rows}
    speedup = {f"{u} users": round(by[(2, u)] / by[(1, u)], 2) for (w, u) in by if w == 1 and (2, u) in by
               and by[(1, u)]}
    result = {"bench": "load_scaled", "cores": os.cpu_count(), "rows": rows, "two_over_one_workers": speedup}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
