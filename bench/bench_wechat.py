"""WeChat webhook latency under concurrent citizens, on the offline engine.

Starts the real app with uvicorn on 127.0.0.1 (safe mode, its API pointed at a local fake of
WeChat's API), then 50 simulated citizens hold conversations at once, posting signed,
AES-encrypted XML: policy questions, complaints with follow-up facts, locations, images, menu
clicks, and WeChat's retries of the same MsgId. Each citizen waits for the reply (passive, or
pushed after "success"), then takes 3-8 s to read it and type the next message.

Reports webhook response time p50/p90/p99/max overall and on the passive path, and how long pushed
replies took. Pass: passive p99 < 1 s and no response over 4.5 s. A second phase without think
time (saturation) checks that overload moves replies to the push path without breaking 4.5 s.

    .venv/bin/python bench/bench_wechat.py --out bench/results/wechat.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.replies import deserialize_reply
from wechatpy.utils import WeChatSigner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.wechat_api import APPID, SECRET, FakeWeChatApi, running  # noqa: E402

TOKEN = "bench-token"
AES_KEY = "BenchAesKey0123456789abcdefghijklmnopqrstuv"  # 43 characters
ACCOUNT = "gh_bench000000"
PASSIVE_P99_LIMIT_S = 1.0
HARD_LIMIT_S = 4.5

# One citizen's conversation: (kind, payload). Texts are the kinds of things citizens send.
SCRIPTS: list[list[tuple[str, Any]]] = [
    [("event", ("subscribe", None)), ("text", "居住证怎么办理？需要什么材料？"), ("text", "办理需要多长时间？"),
     ("click", "MENU_PROGRESS"), ("text", "残疾人两项补贴怎么申请？")],
    [("text", "我要投诉，楼下烧烤店每天凌晨两点还在营业，油烟和噪音太扰民了"),
     ("location", (39.9219, 116.4436, "北京市朝阳区三里屯路19号")), ("image", "http://mmbiz.qpic.cn/bench/1"),
     ("text", "我的电话是13812345678"), ("text", "确认提交")],
    [("click", "MENU_CONSULT"), ("text", "电动自行车怎么上牌？"), ("text", "慢性病门诊特殊病怎么报销？"),
     ("voice", "老年人津贴每个月发多少"), ("text", "谢谢")],
    [("click", "MENU_REPORT"), ("text", "小区门口的路灯坏了一个多月了，晚上很黑，没人修"),
     ("text", "在海淀区中关村街道科学院南路"), ("text", "是的"), ("text", "查询进度")],
]


def sign(*parts: str) -> str:
    """WeChat's sha1 signature, as wechatpy computes it."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


class Citizen:
    """One simulated follower: builds, encrypts and posts messages, and checks each reply."""

    _ids = itertools.count(int(time.time()) * 1000)

    def __init__(self, index: int, base_url: str, fake: FakeWeChatApi, *, tag: str = "") -> None:
        self.openid = f"oBench{tag}{index:06d}".ljust(28, "x")
        self.fake = fake
        self.pushed = 0
        self.http = httpx.Client(base_url=base_url, timeout=30.0)
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        self._event_time = 0

    def fields(self, kind: str, payload: Any) -> dict[str, str]:
        base = {"ToUserName": ACCOUNT, "FromUserName": self.openid, "CreateTime": str(int(time.time()))}
        if kind in ("event", "click"):
            event, key = payload if kind == "event" else ("CLICK", payload)
            extra = {"MsgType": "event", "Event": event} | ({"EventKey": key} if key else {})
            # Events are deduplicated by sender and second; a real citizen cannot click twice a second.
            self._event_time = max(int(time.time()), self._event_time + 1)
            base["CreateTime"] = str(self._event_time)
            return base | extra
        msg: dict[str, str] = {"MsgId": str(next(self._ids))}
        if kind == "text":
            msg |= {"MsgType": "text", "Content": payload}
        elif kind == "voice":
            msg |= {"MsgType": "voice", "MediaId": "bench-voice", "Format": "amr", "Recognition": payload}
        elif kind == "location":
            lat, lon, label = payload
            msg |= {"MsgType": "location", "Location_X": str(lat), "Location_Y": str(lon), "Scale": "16",
                    "Label": label}
        elif kind == "image":
            msg |= {"MsgType": "image", "PicUrl": payload, "MediaId": "bench-media"}
        return base | msg

    def await_push(self, started: float, timeout: float = 60.0) -> float | None:
        """After "success", wait for the pushed reply as the citizen would; seconds since posting, or None."""
        texts = self.fake.wait_for_texts(self.openid, self.pushed + 1, timeout=timeout)
        if len(texts) <= self.pushed:
            return None
        self.pushed = len(texts)
        return time.perf_counter() - started

    def post(self, fields: dict[str, str]) -> tuple[float, str]:
        """Post one delivery; returns (seconds, 'passive' | 'success' | 'error:<status>')."""
        plain = xmltodict.unparse({"xml": fields}, full_document=False)
        encrypt = PrpCrypto(self.crypto.key).encrypt(plain, APPID).decode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        query = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "encrypt_type": "aes", "msg_signature": sign(TOKEN, timestamp, nonce, encrypt)}
        body = xmltodict.unparse({"xml": {"ToUserName": ACCOUNT, "Encrypt": encrypt}}, full_document=False)
        started = time.perf_counter()
        response = self.http.post("/wechat", params=query, content=body.encode(),
                                  headers={"Content-Type": "text/xml"})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            return elapsed, f"error:{response.status_code}"
        if response.text == "success":
            return elapsed, "success"
        outer = xmltodict.parse(response.text)["xml"]
        reply_xml = self.crypto.decrypt_message(response.text, outer["MsgSignature"], outer["TimeStamp"],
                                                outer["Nonce"])
        reply = deserialize_reply(reply_xml)
        if reply.target != self.openid or not reply.content:
            return elapsed, "error:bad-reply"
        return elapsed, "passive"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare_data(env: dict[str, str]) -> None:
    """Ingest the sample knowledge base into the bench's data dir, as `make run` does on first start."""
    code = (
        "from pathlib import Path\n"
        "from connectors.runtime import Runtime\n"
        "rt = Runtime()\n"
        "rt.knowledge_base.ingest_paths([Path('knowledge_base/samples')])\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def _start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "connectors.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited early; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("server did not become healthy in 120 s")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "count": len(samples),
        "p50_s": round(_percentile(samples, 0.50), 4),
        "p90_s": round(_percentile(samples, 0.90), 4),
        "p99_s": round(_percentile(samples, 0.99), 4),
        "max_s": round(max(samples, default=0.0), 4),
        "mean_s": round(statistics.fmean(samples), 4) if samples else 0.0,
    }


def run(*, users: int, rounds: int, retry_rate: float, think: tuple[float, float], saturation: bool,
        out: Path | None, keep: bool = False) -> dict[str, Any]:
    """Run the benchmark (and, with `saturation`, a second phase without think time); write the results."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    fake = FakeWeChatApi()
    with running(fake):
        env = os.environ | {
            "HOTLINE_DATA_DIR": str(workdir / "data"),
            "HOTLINE_WECHAT_TOKEN": TOKEN, "HOTLINE_WECHAT_APPID": APPID, "HOTLINE_WECHAT_SECRET": SECRET,
            "HOTLINE_WECHAT_AES_KEY": AES_KEY, "HOTLINE_WECHAT_API_BASE": fake.base_url,
            "ANONYMIZED_TELEMETRY": "False",
        }
        for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
            env.pop(var, None)
        _prepare_data(env)
        port = _free_port()
        server = _start_server(env, port, workdir / "server.log")
        base_url = f"http://127.0.0.1:{port}"
        try:
            results = _load(base_url, fake, users=users, rounds=rounds, retry_rate=retry_rate, think=think, tag="a")
            if saturation:
                # Every citizen sends again the moment they have a reply: far beyond real traffic, to show
                # that overload moves replies to the push path and never past WeChat's five seconds.
                stress = _load(base_url, fake, users=users, rounds=rounds, retry_rate=retry_rate,
                               think=(0.0, 0.0), tag="b")
                results["saturation"] = {k: stress[k] for k in (
                    "think_time_s", "requests", "wall_s", "throughput_rps", "outcomes", "overall", "passive",
                    "pushed_reply_after_s", "pushed_replies_missing")}
                results["pass"] = bool(results["pass"] and stress["overall"]["max_s"] <= HARD_LIMIT_S
                                       and not stress["pushed_replies_missing"])
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        time.sleep(0.5)
        results["pushed_messages"] = len(fake.sent)
    if keep:
        results["workdir"] = str(workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    results["environment"] = {"python": platform.python_version(), "machine": platform.machine(),
                              "cpus": os.cpu_count(), "engine": "offline", "mode": "safe (AES)",
                              "server": "uvicorn, one process"}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return results


def _load(base_url: str, fake: FakeWeChatApi, *, users: int, rounds: int, retry_rate: float,
          think: tuple[float, float], tag: str) -> dict[str, Any]:
    rng = random.Random(12345)
    citizens = [Citizen(i, base_url, fake, tag=tag) for i in range(users)]
    # Warm up: the first turns load models and caches; a citizen meets them only after a restart.
    warm_up = ["你好", "居住证怎么办理？", "我要投诉，朝阳区望京街道楼下烧烤店太吵", "查询进度"]
    with ThreadPoolExecutor(len(warm_up)) as pool:
        warm = list(pool.map(lambda pair: pair[0].post(pair[0].fields("text", pair[1])),
                             zip(citizens, warm_up, strict=False)))
    for citizen, (_, outcome) in zip(citizens, warm, strict=False):
        if outcome == "success":
            citizen.await_push(time.perf_counter())
    samples: list[tuple[float, str, bool]] = []
    push_waits: list[float] = []
    lost: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(users)

    def citizen_run(index: int) -> None:
        citizen = citizens[index]
        script = SCRIPTS[index % len(SCRIPTS)]
        local = random.Random(index)
        start.wait()
        time.sleep(local.uniform(0, think[1]))  # citizens do not all press "send" in the same millisecond
        for _ in range(rounds):
            for kind, payload in script:
                fields = citizen.fields(kind, payload)
                started = time.perf_counter()
                elapsed, outcome = citizen.post(fields)
                with lock:
                    samples.append((elapsed, outcome, False))
                if rng.random() < retry_rate:  # WeChat delivering the same message again
                    elapsed, again = citizen.post(fields)
                    with lock:
                        samples.append((elapsed, again, True))
                if outcome == "success" and not (kind == "event" and payload[0] == "unsubscribe"):
                    # The citizen reads the pushed reply before typing the next message.
                    waited = citizen.await_push(started)
                    with lock:
                        (push_waits.append(waited) if waited is not None else lost.append(1))
                time.sleep(local.uniform(*think))

    wall = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(citizen_run, range(users)))
    wall = time.perf_counter() - wall
    for citizen in citizens:
        citizen.http.close()

    every = [s for s, _, _ in samples]
    passive = [s for s, o, _ in samples if o == "passive"]
    outcomes: dict[str, int] = {}
    for _, outcome, _ in samples:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    overall, passive_summary = _summary(every), _summary(passive)
    return {
        "benchmark": "wechat webhook response time",
        "users": users,
        "think_time_s": list(think),
        "requests": len(samples),
        "retries": sum(1 for *_, r in samples if r),
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(samples) / wall, 1) if wall else 0.0,
        "outcomes": outcomes,
        "overall": overall,
        "passive": passive_summary,
        "pushed_reply_after_s": _summary(push_waits),
        "pushed_replies_missing": len(lost),
        "limits": {"passive_p99_s": PASSIVE_P99_LIMIT_S, "max_s": HARD_LIMIT_S},
        "pass": (passive_summary["p99_s"] < PASSIVE_P99_LIMIT_S and overall["max_s"] <= HARD_LIMIT_S
                 and not lost and not any(k.startswith("error") for k in outcomes)),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/wechat.json")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="times each citizen plays their script")
    parser.add_argument("--retry-rate", type=float, default=0.1, help="share of messages WeChat delivers twice")
    parser.add_argument("--think", type=float, nargs=2, default=(3.0, 8.0), metavar=("MIN", "MAX"),
                        help="seconds a citizen takes to read a reply and type the next message")
    parser.add_argument("--no-saturation", action="store_true", help="skip the zero-think-time phase")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server.log for a look")
    args = parser.parse_args()
    results = run(users=args.users, rounds=args.rounds, retry_rate=args.retry_rate, think=tuple(args.think),
                  saturation=not args.no_saturation, out=args.out, keep=args.keep)
    keys = ("requests", "wall_s", "outcomes", "overall", "passive", "saturation", "pass")
    sys.stdout.write(json.dumps({k: results.get(k) for k in keys},
                                ensure_ascii=False, indent=2) + "\n")
    sys.exit(0 if results["pass"] else 1)


if __name__ == "__main__":
    main()
