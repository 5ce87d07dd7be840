"""Classify and dialogue benchmark: `hotline classify` throughput and per-message latency, one dialogue turn, memory.

    .venv/bin/python bench/bench_classify.py --out bench/results/classify.json

Everything runs in one process on a fresh temporary HOTLINE_DATA_DIR with the offline engine (no LLM endpoint).

1. classify  - ~300 project messages (`bot/resources/intake_examples.jsonl` texts and `tests/data/intake_fields.jsonl`,
               both shipped with the repository) through the same path as `hotline classify`
               (`connectors/commands/classify.py`): `triage.classify_many` in batches of its BATCH, then
               `extractor.extract`, the routing-table department lookup and the JSON output line.
               * throughput: the whole list in the command's batches, messages/s (`--rounds` passes);
               * latency: each message alone (a batch of one, as a caller with one message would see it),
                 p50/p95/p99/max.
               Building the triage (training the classifier, embedding its examples) is reported apart as
               start-up and is not in either number; a few warm-up messages are not timed.
2. ingest    - `runtime.knowledge_base.ingest_paths([knowledge_base/samples])`: timed and reported, but set up only.
3. dialogue  - `runtime.dialog.handle(Turn(session_id=..., text=...))` over a scripted complaint
               (complaint -> location -> phone -> 确认) for `--sessions` sessions; one warm-up session is not timed.
               Per turn p50/p95 overall and by step; every session is checked to follow the script and submit.

0. real      - with `--real FILE` (default ../shared/eval/messages_stream.jsonl when present) the first
               `--real-messages` real messages: the embedder's own rate on the texts the classifier embeds, the
               command's loop embedding every message, and the loop as shipped (see `bench_real`);
               `--real-only` runs just this figure.

Peak RSS (ru_maxrss) is recorded after each phase.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / "bot" / "resources" / "intake_examples.jsonl"
FIELDS = ROOT / "tests" / "data" / "intake_fields.jsonl"
SAMPLES = ROOT / "knowledge_base" / "samples"
WARMUP = 8

# The scripted dialogue: a complaint without a place, then the place, then a phone number, then 确认.
COMPLAINTS = [
    "楼下烧烤店每天凌晨两点还在营业，油烟噪音扰民",
    "小区垃圾站的垃圾好几天没人清运了，臭味很大",
    "家里暖气一直不热，室温只有十四度",
    "路口的井盖丢了，晚上很危险",
    "旁边工地天天夜间施工，吵得睡不着觉",
    "小区门口每天傍晚都有流动摊贩占道经营，车都过不去",
    "物业收了物业费不干活，楼道灯坏了一个月没人修",
    "公司拖欠我们三个月工资不发，老板也联系不上",
    "楼前的路灯坏了一个多星期了，一直没人修",
    "小区里有人私搭乱建，把公共绿地都占了",
]
PLACES = [
    "朝阳区望京街道花家地西里3号楼", "海淀区学院路街道成府路20号院", "西城区展览路街道百万庄大街甲2号院",
    "东城区和平里街道和平里七区17号楼", "丰台区卢沟桥街道莲花池西里6号楼", "通州区玉桥街道玉桥中路12号院",
    "昌平区回龙观街道龙泽苑东区12号楼", "大兴区黄村镇康庄小区8号楼", "石景山区八角街道八角北里25号楼",
    "顺义区胜利街道建新北区西门", "房山区长阳镇稻田村南侧", "密云区鼓楼街道宾阳里小区",
    "怀柔区泉河街道青春路南华大街交叉口",
]
STEPS = ["complaint", "location", "phone", "confirm"]
EXPECTED_AWAITING = ["location", "contact_phone", "confirmation", None]


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def stats(values: list[float]) -> dict[str, Any]:
    """Count and quantiles in milliseconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"count": len(values), "p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99),
            "max_ms": round(1000 * ordered[-1], 2), "mean_ms": round(1000 * statistics.fmean(values), 2)}


def load_messages(n: int) -> list[dict[str, Any]]:
    """`n` messages as classify input rows: every intake-fields message, the rest evenly from the examples."""
    fields = [json.loads(line) for line in FIELDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [{"id": f["id"], "text": f["text"], "time": f.get("now")} for f in fields][:n]
    want = n - len(rows)
    if want > 0:
        step = len(examples) / min(want, len(examples))
        picked = [examples[int(i * step)] for i in range(min(want, len(examples)))]
        rows += [{"id": f"ex{i:03d}", "text": e["text"]} for i, e in enumerate(picked)]
    return rows


REAL_DEFAULT = ROOT.parent / "shared" / "eval" / "messages_stream.jsonl"


def bench_real(path: Path, limit: int, runtime: Any) -> dict[str, Any]:
    """`hotline classify`'s loop on real messages, beside the embedder's own rate on the same texts.

    Three timings on the same first `limit` messages of `path`, in one process, each after a warm-up and
    with the query-vector cache emptied first (otherwise a later timing reads the vectors an earlier one made):
    * embedder: `embedder.query` on exactly the texts the classifier would embed for every message
      (title + opening, `embed_view`), in the command's batches - the cost floor of embedding them all;
    * embed-all: the command's loop with every message embedded (`skip=1.01`, the previous behaviour);
    * classify: the command's loop as shipped (only messages the cheap stack is unsure of are embedded).
    """
    from bot.triage.classifier import embed_view
    from connectors.commands.classify import BATCH, _department_lookup, _message_time, to_line

    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[:limit] if x.strip()]
    triage, extractor = runtime.triage, runtime.extractor
    department = _department_lookup(runtime)
    embedder = triage.classifier.embedder

    def cold() -> None:
        # Each timing starts with no cached query vector: a real batch arrives unseen.
        clear = getattr(embedder, "clear_query_cache", None)
        if callable(clear):
            clear()

    def loop(skip: float | None) -> tuple[float, list[str]]:
        cold()
        labels: list[str] = []
        sink = io.StringIO()
        t = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            texts = [str(r.get("text") or "") for r in batch]
            titles = [r.get("title") or None for r in batch]
            for row, text, title, res in zip(batch, texts, titles,
                                             triage.classify_many(texts, titles=titles, skip=skip), strict=True):
                ticket = extractor.extract(text, now=_message_time(row), triage=res, channel="cli", title=title)
                sink.write(json.dumps(to_line(row.get("id"), ticket, res, department), ensure_ascii=False) + "\n")
                labels.append(res.category.level1)
        return time.perf_counter() - t, labels

    loop(None)  # warm-up (the fit is already loaded)
    views = [embed_view(str(r.get("text") or ""), r.get("title") or None) for r in rows]
    cold()
    t = time.perf_counter()
    for start in range(0, len(views), BATCH):
        embedder.query(views[start:start + BATCH])
    embed_s = time.perf_counter() - t
    all_s, all_labels = loop(1.01)
    new_s, new_labels = loop(None)
    n = len(rows)
    out = {
        "file": path.name, "messages": n, "mean_chars": round(statistics.fmean(len(str(r.get("text") or ""))
                                                                                for r in rows), 1),
        "embedder_msgs_per_s": round(n / embed_s, 1),
        "embed_all_msgs_per_s": round(n / all_s, 1),
        "classify_msgs_per_s": round(n / new_s, 1),
        "speedup_vs_embed_all": round(all_s / new_s, 2),
        "classify_vs_embedder": round(embed_s / new_s, 2),
        "same_level1_as_embed_all": round(sum(a == b for a, b in zip(all_labels, new_labels, strict=True)) / n, 3),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"real messages ({path.name}, {n}): embedder alone {out['embedder_msgs_per_s']} msg/s, embed-all loop "
          f"{out['embed_all_msgs_per_s']} msg/s, classify {out['classify_msgs_per_s']} msg/s "
          f"({out['speedup_vs_embed_all']}x; same level 1 as embed-all: {out['same_level1_as_embed_all']})", flush=True)
    return out


def main() -> None:  # noqa: PLR0915 - one linear script
    """Run the phases and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "classify.json")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="batched passes over the messages")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--real", type=Path, default=REAL_DEFAULT,
                        help="real messages for the throughput-vs-embedder figure (skipped when absent)")
    parser.add_argument("--real-messages", type=int, default=400)
    parser.add_argument("--real-only", action="store_true", help="run only the real-message throughput figure")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-classify-"))
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_WORKER"] = "off"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HOTLINE_DATABASE_URL", "HOTLINE_CHROMA_HOST"):
        os.environ.pop(var, None)

    from bot.config import get_settings
    from bot.models import Turn
    from connectors.commands.classify import BATCH, _department_lookup, _message_time, to_line
    from connectors.runtime import Runtime

    get_settings.cache_clear()
    result: dict[str, Any] = {"benchmark": "classify and dialogue turn", "python": platform.python_version(),
                              "machine": platform.machine(), "cpus": os.cpu_count(), "engine": "offline",
                              # Other work on the machine shows in the tails; the load averages say whether there was any.
                              "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    try:
        runtime = Runtime()
        assert not runtime.settings.llm_enabled, "the benchmark measures the offline engine"
        rss_start = rss_mb()

        # --- start-up: classifier training, extractor, routing table (not in the timings) ---------------
        t = time.perf_counter()
        triage, extractor = runtime.triage, runtime.extractor
        department = _department_lookup(runtime)
        startup_s = time.perf_counter() - t
        print(f"start-up (triage training, extractor, routing): {startup_s:.1f} s", flush=True)
        if args.real.exists():
            result["real_messages"] = bench_real(args.real, args.real_messages, runtime)
        if args.real_only:
            result["startup_s"] = round(startup_s, 2)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
            return

        rows = load_messages(args.messages)
        texts = [str(r.get("text") or "") for r in rows]

        def classify_batch(batch: list[dict[str, Any]], sink: io.StringIO) -> None:
            """The loop body of `classify_command` for one batch."""
            batch_texts = [str(r.get("text") or "") for r in batch]
            titles = [r.get("title") or None for r in batch]
            results = triage.classify_many(batch_texts, titles=titles)
            for row, text, title, res in zip(batch, batch_texts, titles, results, strict=True):
                ticket = extractor.extract(text, now=_message_time(row), triage=res, channel="cli", title=title)
                sink.write(json.dumps(to_line(row.get("id"), ticket, res, department), ensure_ascii=False) + "\n")

        classify_batch(rows[:WARMUP], io.StringIO())  # warm-up, not timed

        # --- throughput: the command's batches ---------------------------------------------------------
        passes = []
        out = io.StringIO()
        for _ in range(args.rounds):
            out = io.StringIO()
            t = time.perf_counter()
            for start in range(0, len(rows), BATCH):
                classify_batch(rows[start:start + BATCH], out)
            passes.append(time.perf_counter() - t)
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        best, median = min(passes), statistics.median(passes)

        # --- latency: one message at a time --------------------------------------------------------------
        latencies = []
        for row in rows:
            t = time.perf_counter()
            classify_batch([row], io.StringIO())
            latencies.append(time.perf_counter() - t)
        rss_classify = rss_mb()

        classify = {
            "messages": len(rows),
            "sources": {"tests/data/intake_fields.jsonl": sum(1 for r in rows if not r["id"].startswith("ex")),
                        "bot/resources/intake_examples.jsonl": sum(1 for r in rows if r["id"].startswith("ex"))},
            "mean_chars": round(statistics.fmean(len(x) for x in texts), 1),
            "batch": BATCH,
            "rounds": args.rounds,
            "pass_s": [round(p, 3) for p in passes],
            "throughput_msgs_per_s": round(len(rows) / median, 1),
            "throughput_best_msgs_per_s": round(len(rows) / best, 1),
            "single_message_latency": stats(latencies),
            "output_check": {
                "lines": len(lines),
                "with_category": sum(1 for x in lines if x["category"]["level1"]),
                "with_department": sum(1 for x in lines if x["department"]),
                "with_district": sum(1 for x in lines if x["ticket"]["location"]["district"]),
            },
        }
        print(f"classify: {len(rows)} messages, {classify['throughput_msgs_per_s']} msg/s batched (median of "
              f"{args.rounds}); one at a time p50 {classify['single_message_latency']['p50_ms']} ms, "
              f"p95 {classify['single_message_latency']['p95_ms']} ms", flush=True)

        # --- set-up: ingest the sample knowledge base (not timed into anything) ---------------------------
        t = time.perf_counter()
        report = runtime.knowledge_base.ingest_paths([SAMPLES])
        ingest_s = time.perf_counter() - t
        ingest = {"seconds": round(ingest_s, 1), "files": len(report.files), "errors": report.count("error"),
                  "chunks_embedded": report.embedded}
        rss_ingest = rss_mb()
        print(f"ingest (set-up, excluded): {ingest['chunks_embedded']} chunks in {ingest_s:.1f} s", flush=True)

        # --- dialogue turns --------------------------------------------------------------------------------
        dialog = runtime.dialog

        def script(i: int) -> list[str]:
            return [COMPLAINTS[i % len(COMPLAINTS)], PLACES[i % len(PLACES)], f"139{i:08d}", "确认"]

        def run_session(i: int, timings: dict[str, list[float]] | None) -> tuple[bool, list[str | None]]:
            awaiting: list[str | None] = []
            submitted = False
            for step, text in zip(STEPS, script(i), strict=True):
                t = time.perf_counter()
                reply = dialog.handle(Turn(session_id=f"bench-{i}", text=text))
                dt = time.perf_counter() - t
                if timings is not None:
                    timings[step].append(dt)
                awaiting.append(reply.awaiting)
                if step == "confirm":
                    submitted = bool(reply.ticket and reply.ticket.get("ticket_no"))
            return submitted and awaiting == EXPECTED_AWAITING, awaiting

        run_session(10_000, None)  # warm-up session, not timed
        timings: dict[str, list[float]] = {s: [] for s in STEPS}
        off_script = []
        t = time.perf_counter()
        for i in range(args.sessions):
            ok, awaiting = run_session(i, timings)
            if not ok:
                off_script.append({"session": i, "awaiting": awaiting})
        dialogue_s = time.perf_counter() - t
        every = [x for s in STEPS for x in timings[s]]
        rss_dialogue = rss_mb()
        dialogue = {
            "sessions": args.sessions,
            "turns": len(every),
            "script": STEPS,
            "sessions_following_script_and_submitted": args.sessions - len(off_script),
            "off_script": off_script[:5],
            "wall_s": round(dialogue_s, 2),
            "turn": stats(every),
            "by_step": {s: stats(timings[s]) for s in STEPS},
        }
        print(f"dialogue: {len(every)} turns over {args.sessions} sessions, p50 {dialogue['turn']['p50_ms']} ms, "
              f"p95 {dialogue['turn']['p95_ms']} ms; {dialogue['sessions_following_script_and_submitted']}/"
              f"{args.sessions} sessions submitted as scripted", flush=True)

        result.update({
            "startup_s": round(startup_s, 1),
            "classify": classify,
            "ingest_setup": ingest,
            "dialogue": dialogue,
            "peak_rss_mb": {"after_runtime": rss_start, "after_classify": rss_classify,
                            "after_ingest": rss_ingest, "after_dialogue": rss_dialogue},
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        })
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"peak RSS {result['peak_rss_mb']['after_dialogue']} MB; written to {args.out}")


if __name__ == "__main__":
    main()
