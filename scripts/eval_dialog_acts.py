"""Measure how the dialogue recognises conversational acts in wordings it was not written from.

Usage: python scripts/eval_dialog_acts.py [tests/data/dialog_acts_heldout.jsonl] [--split test|tune|all]
                                          [--out docs/eval/dialog_acts.md]

Each message is sent, in a fresh session, to the real dialogue engine (real triage, act models, SQLite) in the
context its act needs: after a resolved ticket (status, rating, handoff, and ordinary complaints), or at the
read-back of an open draft (cancel, correction, detail, topic switch; status and handoff again). What the engine
did is read off its reply, so the figure is the citizen's experience, not one model's score.

The file is split by phrasing group (`split`): only the `tune` part may inform examples or thresholds; figures
to report are on `test`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT / "tests" / "data" / "dialog_acts_heldout.jsonl"
ACTS = ("status", "rating", "handoff", "cancel", "correction", "detail", "switch")
DRAFT_TEXT = "朝阳区望京街道花家地西里3号楼楼下的烧烤店每天晚上十点以后油烟噪音扰民，电话13812345678"
# Which contexts each act is tried in.
MARKER = "<!-- written by scripts/eval_dialog_acts.py below this line -->"
CONTEXTS = {"status": ("after", "draft"), "rating": ("after",), "handoff": ("after", "draft"),
            "none": ("after",), "cancel": ("draft",), "correction": ("draft",), "detail": ("draft",),
            "switch": ("draft",)}


class _Answerer:
    """A policy answer for side questions; the acts, not the knowledge base, are measured here."""

    def answer(self, question: str, *, history: list[str] | None = None, session_id: str | None = None):  # noqa: ANN201
        from bot.answer.types import AnswerResult

        return AnswerResult(answer="【政策解答】可到社区服务中心办理。", grounded=True, direct_reply=True)


def observed(reply: Any) -> str:  # noqa: ANN401
    """The act the engine took, read off its reply ("intake" for a new request, "other" for anything else)."""
    text = reply.reply or ""
    if reply.handoff is not None and reply.handoff.status in ("queued", "with_agent"):
        return "handoff"
    if "已取消本次登记" in text or "当前没有正在登记的诉求" in text or "已取消人工客服排队" in text:
        return "cancel"
    if "已记录您对工单" in text or text.startswith("请对工单"):
        return "rating"
    if reply.intent == "status_query":
        return "status"
    if text.startswith("已为您更新"):
        return "correction"
    if "已把您补充的情况记入本次诉求" in text or "已将您补充的情况加入工单" in text:
        return "detail"
    if "刚才还没提交的诉求" in text:
        return "switch"
    if reply.ticket and reply.ticket.get("status") == "draft":
        return "intake"
    return "other"


def _level(reply: Any) -> str | None:  # noqa: ANN401
    text = reply.reply or ""
    for level in ("基本满意", "不满意", "满意"):
        if f"评价：{level}" in text:
            return level
    return None


class Harness:
    """A dialogue engine on a throw-away database, with the two contexts."""

    def __init__(self, data_dir: Path) -> None:
        from bot.config import Settings
        from bot.dialog.engine import Dialog
        from bot.intake.extract import Extractor
        from bot.intake.gazetteer import load_gazetteer
        from bot.store.db import create_schema
        from bot.triage.service import build_triage

        settings = Settings(HOTLINE_DATA_DIR=data_dir)
        self.triage = build_triage(settings, cache_dir=data_dir / "cache")
        self.url = f"sqlite:///{data_dir / 'eval.db'}"
        create_schema(self.url)
        self.dialog = Dialog(db_url=self.url, triage=self.triage,
                             extractor=Extractor(taxonomy=self.triage.taxonomy, gazetteer=load_gazetteer()),
                             answerer=_Answerer())
        self._n = 0

    def say(self, session: str, text: str) -> Any:  # noqa: ANN401
        from bot.models import Turn

        return self.dialog.handle(Turn(session_id=session, text=text, channel="web"))

    def session(self, context: str) -> str:
        """A fresh session in `context`: "draft" (a draft at its read-back) or "after" (a resolved ticket)."""
        from bot.store.db import session_scope
        from bot.tickets.lifecycle import transition
        from bot.tickets.models import TicketStatus
        from bot.tickets.service import find_ticket

        self._n += 1
        sid = f"eval-{context}-{self._n}"
        first = self.say(sid, DRAFT_TEXT)
        assert first.awaiting == "confirmation", first.reply
        if context == "draft":
            return sid
        ticket_no = self.say(sid, "确认").ticket["ticket_no"]
        with session_scope(self.url) as db:
            row = find_ticket(db, ticket_no)
            for status in (TicketStatus.DISPATCHED, TicketStatus.RESOLVED):
                transition(db, row, status, actor="eval", notify=False)
        return sid


def run(rows: list[dict], harness: Harness) -> list[dict]:
    """One result per (message, context)."""
    results = []
    for row in rows:
        for context in CONTEXTS[row["act"]]:
            sid = harness.session(context)
            reply = harness.say(sid, row["text"])
            got = observed(reply)
            result = {**row, "context": context, "got": got, "emergency": bool(reply.emergency)}
            if row["act"] == "rating":
                result["got_level"] = _level(reply)
            if row["act"] == "correction":
                result["applied"] = got == "correction" and row["expect"] in reply.reply and row["keep"] in reply.reply
            results.append(result)
    return results


def summarise(results: list[dict], *, title: str, seconds: float) -> str:
    """A markdown section: recognition per act and context, false triggers on ordinary complaints."""
    lines = [f"## {title}", "", f"- messages × contexts: {len(results)}", f"- time: {seconds:.0f} s", "",
             "| act | context | n | recognised | share |", "| --- | --- | ---: | ---: | ---: |"]
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        by[(r["act"], r["context"])].append(r)
    acts_total = acts_right = 0
    for act in ACTS:
        for context in CONTEXTS[act]:
            group = by.get((act, context), [])
            if not group:
                continue
            right = sum(r["got"] == act for r in group)
            acts_total += len(group)
            acts_right += right
            lines.append(f"| {act} | {context} | {len(group)} | {right} | {right / len(group):.2f} |")
    none = by.get(("none", "after"), [])
    fired = [r for r in none if r["got"] in ACTS]
    lines += ["", f"- acts recognised overall: {acts_right}/{acts_total} = {acts_right / max(acts_total, 1):.3f}"]
    if none:
        lines.append(f"- false triggers on ordinary complaints (after a resolved ticket): {len(fired)}/{len(none)}"
                     f" = {len(fired) / len(none):.3f}"
                     + (" (" + ", ".join(f"{k} {v}" for k, v in Counter(r["got"] for r in fired).items()) + ")"
                        if fired else ""))
    alarms = [r for r in results if r.get("emergency")]
    lines.append(f"- emergency instructions given to these turns (none is an emergency): {len(alarms)}/{len(results)}")
    ratings = [r for r in results if r["act"] == "rating" and r["got"] == "rating" and r.get("got_level")]
    if ratings:
        right = sum(r["got_level"] == r["level"] for r in ratings)
        lines.append(f"- rating level right, among recognised ratings: {right}/{len(ratings)}")
    corrections = [r for r in results if r["act"] == "correction"]
    if corrections:
        applied = sum(bool(r["applied"]) for r in corrections)
        lines.append(f"- corrections applied right (new part in, the rest kept): {applied}/{len(corrections)}")
    misses = [r for r in results if (r["act"] == "none" and r["got"] in ACTS)
              or (r["act"] != "none" and r["got"] != r["act"])]
    if misses:
        lines += ["", "Misses (act, context: message → what the engine did):", ""]
        lines += [f"- {r['act']}, {r['context']}: {r['text']} → {r['got']}" for r in misses]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("test", "tune", "all"), default="test")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="where the triage fit is cached")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.split != "all":
        rows = [r for r in rows if r["split"] == args.split]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        # Every session files the same complaint: it must not be merged into the first as a repeat.
        os.environ["HOTLINE_REPEAT_WINDOW_HOURS"] = "0"
        os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
        from bot.config import get_settings

        get_settings.cache_clear()
        db = data_dir / "eval.db"
        if db.exists():
            db.unlink()
        harness = Harness(data_dir)
        started = time.perf_counter()
        results = run(rows, harness)
        seconds = time.perf_counter() - started
        parts = ("tune", "test") if args.split == "all" else (args.split,)
        text = "\n".join(summarise([r for r in results if r["split"] == part], title=f"{args.data.name}, split {part}",
                                    seconds=seconds) for part in parts)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # The hand-written part above the marker (what the set is, the figures before a change) is kept.
        kept = args.out.read_text(encoding="utf-8").split(MARKER)[0] if args.out.exists() else "# Dialogue acts\n\n"
        args.out.write_text(f"{kept}{MARKER}\n\n## Now\n\n{text}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
