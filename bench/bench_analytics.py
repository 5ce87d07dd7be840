"""Analytics benchmark: `hotline import-messages` rate against `hotline classify`, and the analysis at scale.

    .venv/bin/python bench/bench_analytics.py --out bench/results/analytics.json

1. import   - `--messages` generated complaint messages (about 170 characters each) in a temp
              JSONL, through `hotline classify`'s code path (connectors/commands/classify.py) and through
              the importer (bot/analytics/imports.py, one transaction per batch) on a fresh temp database;
              messages/s for each. Model start-up (training the classifier) is reported apart.
2. analyse  - the whole report analysis (`bot.analytics.report.analyse`: frequent, concentrated, dangerous,
              surging, new topics and topic clustering) of the last week of 10k and 100k synthetic requests
              spread over 26 weeks, with precomputed vectors (topic centres plus noise); seconds and the
              peak of traced Python/numpy allocations (tracemalloc), plus ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SENTENCES = ["我家住在{d}{p}，最近这段时间楼下的商铺每天晚上营业到凌晨，噪音和油烟都很大。",
             "小区物业对此一直不管不问，我们多次打电话反映，至今没有任何答复。",
             "{p}门口的道路坑洼不平，下雨天积水很深，老人孩子出行非常不方便。",
             "希望相关部门尽快派人到现场查看，依法处理，还居民一个安静的生活环境。",
             "另外小区的垃圾清运也不及时，垃圾桶周边气味很大，夏天蚊虫滋生。",
             "我们是{d}的老住户，以前从来没有出现过这样的情况，现在大家都很着急。",
             "请问这种情况应该由哪个部门负责，我们下一步应该怎么办？"]
DISTRICTS = ["朝阳区", "海淀区", "丰台区", "西城区", "东城区", "通州区", "昌平区", "大兴区"]
PLACES = [h + t for h in ("安华", "和平", "育新", "锦秀", "青塔", "丽泽", "芳城", "双桥") for t in ("家园", "小区", "嘉园")]


def _messages(n: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        d, p = rng.choice(DISTRICTS), rng.choice(PLACES)
        text = "".join(rng.sample(SENTENCES, 5)).format(d=d, p=p)
        out.append({"id": f"b{i}", "time": f"2025-0{1 + i % 6}-1{i % 10}T10:00:00", "title": f"{p}问题反映", "text": text})
    return out


def bench_import(n: int) -> dict:
    """Messages/s through `hotline classify`'s path and through the importer, same messages."""
    from bot.config import get_settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    os.environ["HOTLINE_DATA_DIR"] = str(tmp / "data")
    get_settings.cache_clear()
    rows = _messages(n, random.Random(5))
    src = tmp / "m.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    from bot.analytics.imports import build_importer
    from connectors.commands.classify import classify_command
    from connectors.runtime import Runtime

    t = time.perf_counter()
    runtime = Runtime()
    importer = build_importer(runtime)
    startup = time.perf_counter() - t
    _ = runtime.triage  # classify's own triage, trained once before its timing (examples' vectors are cached)
    t = time.perf_counter()
    classify_command(src, tmp / "out.jsonl")
    classify_s = time.perf_counter() - t
    t = time.perf_counter()
    report = importer.run(src)
    import_s = time.perf_counter() - t
    assert report.imported == n, report.summary()
    return {"messages": n, "avg_chars": round(sum(len(r["text"]) for r in rows) / n),
            "startup_s": round(startup, 1), "classify_per_s": round(n / classify_s, 2),
            "import_per_s": round(n / import_s, 2), "import_s": round(import_s, 1)}


def _synthetic(n: int, weeks: int, rng: np.random.Generator) -> list:
    from bot.analytics.records import BEIJING, Request

    centres = rng.normal(size=(60, 384)).astype(np.float32)
    topic = rng.integers(0, 60, size=n)
    vectors = centres[topic] + rng.normal(scale=0.9, size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    start = datetime(2025, 1, 6, tzinfo=BEIJING)
    seconds = rng.integers(0, weeks * 7 * 86400, size=n)
    places = [f"community:{h}{t}" for h in range(400) for t in ("家园", "小区")]
    cats = ["城乡建设", "环境保护", "交通运输", "劳动和社会保障", "政法", "卫生计生", "教育文体", "商贸旅游"]
    out = []
    for i in range(n):
        out.append(Request(
            id=f"s{i}", time=start + timedelta(seconds=int(seconds[i])), text=f"合成诉求 {topic[i]} 号话题 第{i}条",
            category_l1=cats[int(topic[i]) % len(cats)], category_l2="其他", district=DISTRICTS[i % len(DISTRICTS)],
            street=None, places=(places[int(rng.integers(0, len(places)))],), vector=vectors[i]))
    out.sort(key=lambda r: r.time)
    return out


def bench_analyse(n: int, weeks: int = 26) -> dict:
    """Seconds and peak memory for the whole analysis of the last week of `n` requests."""
    from bot.analytics import danger, report
    from bot.analytics.records import Window

    records = _synthetic(n, weeks, np.random.default_rng(n))
    protos = danger.default_prototypes()
    last = date(2025, 1, 6) + timedelta(weeks=weeks) - timedelta(days=1)
    window = Window(last - timedelta(days=6), last)
    tracemalloc.start()
    t = time.perf_counter()
    result = report.analyse(records, window, protos)
    seconds = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"requests": n, "in_window": result["volume"], "seconds": round(seconds, 1),
            "peak_traced_mb": round(peak / 2**20, 1),
            "findings": {k: len(v) for k, v in result["findings"].items()}, "topics": len(result["topics"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analytics.json")
    parser.add_argument("--messages", type=int, default=150)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    result = {"import": bench_import(args.messages)}
    result["analyse"] = [bench_analyse(int(s)) for s in args.sizes.split(",")]
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
