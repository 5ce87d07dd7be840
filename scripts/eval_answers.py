"""Measure grounded answering on the offline engine.

    .venv/bin/python scripts/eval_answers.py services --kb ../shared/eval/service_kb \
        --questions ../shared/eval/service_questions_dev.json --not-in-base scripts/data/service_not_in_base.jsonl
    .venv/bin/python scripts/eval_answers.py replies --replies ../shared/eval/replies_dev.jsonl

Each run ingests into its own data dir (reused when it already holds the base) and prints a Markdown report.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True)
FOCUSED_CHARS = 150


def _answerer(data_dir: Path, kb_dirs: list[Path]):  # noqa: ANN202
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("OPENAI_BASE_URL", None)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    from connectors.runtime import Runtime

    runtime = Runtime()
    report = runtime.knowledge_base.ingest_paths(kb_dirs, show_progress=True)
    print(f"<!-- ingested: added {report.count('added')}, unchanged {report.count('unchanged')} -->",
          file=sys.stderr)
    return runtime.answerer


def states_fact(answer: str, expect: dict) -> bool:
    """The expected fact in the shapes the dev set uses."""
    if "any_of" in expect:
        return any(item in answer for item in expect["any_of"])
    if "substring_of" in expect:
        return expect["substring_of"] in answer
    if "any_digits" in expect:
        digits = re.sub(r"\D", "", answer)
        return any(d in digits for d in expect["any_digits"])
    if "number_with_unit" in expect:
        return re.search(rf"(?<!\d){re.escape(expect['number_with_unit'])}(?!\d)", answer) is not None
    raise ValueError(f"unknown expectation {expect}")


@app.command()
def services(
    kb: Annotated[Path, typer.Option(help="folder of service items")],
    questions: Annotated[Path, typer.Option(help="JSON list of {question, doc_id, kind, expect}")],
    not_in_base: Annotated[Path, typer.Option(help="JSONL of questions about services not in the base")],
    data_dir: Annotated[Path, typer.Option(help="data dir to ingest into")] = Path(tempfile.gettempdir()) / "hotline-eval-services",
) -> None:
    """Focused-correct share, right item in the top 3 citations, and not-in-base refusals."""
    answerer = _answerer(data_dir, [kb])
    items = json.loads(questions.read_text(encoding="utf-8"))
    focused = top3 = 0
    by_kind: dict[str, list[int]] = {}
    latencies: list[float] = []
    misses = []
    for item in items:
        start = time.perf_counter()
        result = answerer.answer(item["question"])
        latencies.append(time.perf_counter() - start)
        short = len(result.answer) <= FOCUSED_CHARS or item["kind"] == "materials"
        correct = result.grounded and short and states_fact(result.answer, item["expect"])
        in_top3 = item["doc_id"] in [c.doc_id for c in result.citations[:3]]
        focused += correct
        top3 += in_top3
        by_kind.setdefault(item["kind"], [0, 0])
        by_kind[item["kind"]][0] += correct
        by_kind[item["kind"]][1] += 1
        if not correct:
            misses.append((item["question"], result.answer[:120].replace("\n", " ")))
    outside = [json.loads(line) for line in not_in_base.read_text(encoding="utf-8").splitlines() if line.strip()]
    refused = sum(not answerer.answer(q["question"]).grounded for q in outside)
    n = len(items)
    print(f"## Service questions ({n} dev questions, {len(outside)} not-in-base questions)\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| focused-correct (fact stated, ≤{FOCUSED_CHARS} chars except materials) | {focused / n:.3f} |")
    print(f"| right item in top-3 citations | {top3 / n:.3f} |")
    print(f"| not-in-base marked ungrounded | {refused / len(outside):.3f} |")
    latencies.sort()
    print(f"| answer latency p50 / p95 (ms) | {latencies[n // 2] * 1000:.0f} / {latencies[int(n * 0.95)] * 1000:.0f} |")
    print("\n| kind | focused-correct | n |\n| --- | --- | --- |")
    for kind, (ok, total) in sorted(by_kind.items()):
        print(f"| {kind} | {ok / total:.3f} | {total} |")
    if misses:
        print("\nMisses:\n")
        for question, answer in misses:
            print(f"- {question} → {answer}")


@app.command()
def replies(
    replies: Annotated[Path, typer.Option(help="JSONL of {id, title, text, reply}")],
    data_dir: Annotated[Path, typer.Option(help="data dir to ingest into")] = Path(tempfile.gettempdir()) / "hotline-eval-replies",
) -> None:
    """Make the official replies a knowledge base; ask with each citizen's message; recall@1 and @5."""
    rows = [json.loads(line) for line in replies.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = data_dir.parent / (data_dir.name + "-docs")
    docs.mkdir(parents=True, exist_ok=True)
    for n, row in enumerate(rows):
        (docs / f"reply-{n}.md").write_text(row["reply"], encoding="utf-8")
    answerer = _answerer(data_dir, [docs])
    hit1 = hit5 = grounded = 0
    for n, row in enumerate(rows):
        result = answerer.answer(f"{row.get('title', '')}\n{row['text']}".strip())
        cited = [c.doc_id for c in result.citations]
        hit1 += cited[:1] == [f"reply-{n}"]
        hit5 += f"reply-{n}" in cited[:5]
        grounded += result.grounded
    total = len(rows)
    print(f"## Official replies as a knowledge base ({total} messages)\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| recall@1 | {hit1 / total:.3f} |\n| recall@5 | {hit5 / total:.3f} |")
    print(f"| answered as grounded | {grounded / total:.3f} |")


if __name__ == "__main__":
    app()
