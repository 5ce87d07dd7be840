"""Importing past requests: triage and extract what each record lacks, one transaction per batch, resumable.

A re-run skips every `id` already imported, and each batch commits on its own, so a killed run loses at
most the batch it was in. The vector the category classifier computes for a message is kept (a memo
around the embedder catches it), so the analysis never embeds the history a second time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from bot.analytics.places import place_keys
from bot.analytics.tables import ImportedRequest
from bot.intake.extract import Extractor
from bot.store.db import session_scope
from bot.triage.service import Triage
from bot.triage.text import focus_text

log = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
BATCH = 64
KNOWN_FIELDS = {"id", "time", "title", "text", "district", "category", "status", "votes", "channel"}


def embed_text(text: str, title: str | None) -> str:
    """The text whose vector stands for a request: the opening the category classifier embeds."""
    try:
        from bot.triage.classifier import EMBED_CHARS
    except ImportError:  # pragma: no cover - the classifier renamed its constant
        EMBED_CHARS = 72
    return focus_text(text, title=title, limit=EMBED_CHARS)


class MemoEmbedder:
    """Wraps an embedder and remembers the vector of every text it embedded since the last `clear`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, np.ndarray] = {}

    def query(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`, from memory where the exact text was embedded before."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            vectors = np.asarray(self.inner.query(missing), dtype=np.float32).reshape(len(missing), -1)
            self.memo.update(zip(missing, vectors, strict=True))
        return np.vstack([self.memo[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def clear(self) -> None:
        """Forget (called after each batch, so memory stays bounded)."""
        self.memo.clear()


@dataclass
class ImportReport:
    """What one run did."""

    lines: int = 0
    imported: int = 0
    skipped: int = 0  # already imported, or repeated within the file
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def summary(self) -> str:
        """One line in Chinese for the command line."""
        return (f"共 {self.lines} 条：新导入 {self.imported}，已导入跳过 {self.skipped}，"
                f"无效 {len(self.invalid)}。")


def parse_time(value: Any) -> datetime | None:
    """An ISO time; naive times are Beijing time. Stored in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.astimezone(UTC)


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record, None) for each good line, (line number, None, reason) for each bad one."""
    with path.open(encoding="utf-8") as src:
        for n, line in enumerate(src, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, f"不是有效的 JSON：{exc.msg}"
                continue
            if not isinstance(row, dict) or row.get("id") in (None, ""):
                yield n, None, "缺少 id"
                continue
            if not str(row.get("text") or "").strip() and not str(row.get("title") or "").strip():
                yield n, None, "缺少 text"
                continue
            yield n, row, None


def count_lines(path: Path) -> int:
    """Non-empty lines in the file (the progress bar's total)."""
    with path.open(encoding="utf-8") as src:
        return sum(1 for line in src if line.strip())


def _given_category(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        return (value.get("level1") or None), (value.get("level2") or None)
    if isinstance(value, str) and value.strip():
        level1, _, level2 = value.strip().partition("/")
        return level1.strip() or None, level2.strip() or None
    return None, None


def _votes(row: dict[str, Any]) -> int | None:
    for key in ("votes", "likes"):
        value = row.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    return None


class Importer:
    """Imports JSONL history into `imported_requests`."""

    def __init__(self, *, db_url: str, triage: Triage, extractor: Extractor, memo: MemoEmbedder | None = None,
                 embedder: Any | None = None) -> None:
        self.db_url = db_url
        self.triage = triage
        self.extractor = extractor
        self.memo = memo
        self.embedder = embedder  # used for vectors the memo did not catch

    def run(self, path: Path, *, batch: int = BATCH, on_progress: Callable[[int], None] | None = None) -> ImportReport:
        """Import every new record of `path`; `on_progress(n)` after each batch of n lines."""
        report = ImportReport()
        pending: list[tuple[int, dict[str, Any]]] = []
        for n, row, error in read_lines(path):
            report.lines += 1
            if error is not None:
                report.invalid.append((n, error))
                if on_progress:
                    on_progress(1)
                continue
            pending.append((n, row))  # type: ignore[arg-type]
            if len(pending) >= batch:
                self._batch(pending, report)
                if on_progress:
                    on_progress(len(pending))
                pending = []
        if pending:
            self._batch(pending, report)
            if on_progress:
                on_progress(len(pending))
        return report

    def _batch(self, items: list[tuple[int, dict[str, Any]]], report: ImportReport) -> None:
        ids = [str(row["id"]) for _, row in items]
        with session_scope(self.db_url) as db:
            done = set(db.scalars(select(ImportedRequest.source_id).where(ImportedRequest.source_id.in_(ids))))
        fresh: list[dict[str, Any]] = []
        for _, row in items:
            sid = str(row["id"])
            if sid in done:
                report.skipped += 1
                continue
            done.add(sid)
            fresh.append(row)
        if not fresh:
            return
        records = self.build(fresh)
        with session_scope(self.db_url) as db:  # one transaction per batch: a killed run keeps what committed
            db.add_all(records)
        report.imported += len(records)

    def build(self, rows: list[dict[str, Any]]) -> list[ImportedRequest]:
        """Triage, extract and embed a batch of records into rows (nothing is written)."""
        texts = [str(r.get("text") or "").strip() or str(r.get("title") or "").strip() for r in rows]
        titles = [str(r.get("title") or "").strip() or None for r in rows]
        results = self.triage.classify_many(texts, titles=titles)
        vectors = self._vectors(texts, titles)
        out = []
        for row, text, title, result, vector in zip(rows, texts, titles, results, vectors, strict=True):
            when = parse_time(row.get("time"))
            ticket = self.extractor.extract(text, now=(when or datetime.now(UTC)).astimezone(BEIJING),
                                            triage=result, channel="api", title=title)
            level1, level2 = _given_category(row.get("category"))
            given = level1 is not None
            if not given:
                level1, level2 = result.category.level1, result.category.level2
            district = row.get("district") if isinstance(row.get("district"), str) and row["district"].strip() else None
            district = self.extractor.gazetteer.normalise_district(district) or district or ticket.location.district
            status = row.get("status")
            places = place_keys(f"{title}。{text}" if title else text, community=ticket.location.community,
                                landmark=ticket.location.landmark, businesses=[p.name for p in ticket.parties],
                                gazetteer=self.extractor.gazetteer)
            out.append(ImportedRequest(
                source_id=str(row["id"]),
                received_at=when,
                title=title,
                text=text,
                channel=str(row.get("channel") or "import")[:20],
                intent=result.intent,
                category_l1=level1,
                category_l2=level2,
                category_given=given,
                urgency=result.urgency,
                emergency=result.emergency is not None,
                district=district,
                street=ticket.location.street,
                community=ticket.location.community,
                landmark=ticket.location.landmark,
                location_raw=(ticket.location.raw or None) and ticket.location.raw[:500],
                places=places,
                status=str(status)[:20] if isinstance(status, str) and status.strip() else None,
                votes=_votes(row),
                summary=ticket.summary,
                vector=vector.astype(np.float32).tobytes() if vector is not None else None,
                extra={k: v for k, v in row.items() if k not in KNOWN_FIELDS},
            ))
        if self.memo is not None:
            self.memo.clear()
        return out

    def _vectors(self, texts: list[str], titles: list[str | None]) -> list[np.ndarray | None]:
        keys = [embed_text(t, ti) for t, ti in zip(texts, titles, strict=True)]
        memo = self.memo.memo if self.memo is not None else {}
        missing = [k for k in dict.fromkeys(keys) if k not in memo]
        if missing and self.embedder is not None:
            vectors = np.asarray(self.embedder.query(missing), dtype=np.float32).reshape(len(missing), -1)
            memo = {**memo, **dict(zip(missing, vectors, strict=True))}
        return [memo.get(k) for k in keys]


def build_importer(runtime: Any) -> Importer:
    """An importer over the runtime's database, with a triage whose embedder hands its vectors over."""
    from bot.intake.gazetteer import load_gazetteer
    from bot.triage.embedding import default_embedder
    from bot.triage.service import build_triage

    inner = default_embedder()
    memo = MemoEmbedder(inner)
    triage = build_triage(runtime.settings, embedder=memo)
    memo.clear()  # the examples' vectors are the classifier's, not the history's
    # History is extracted by the rules: an LLM call per record would make a year's import take days.
    extractor = Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer(runtime.settings.city), gateway=None)
    return Importer(db_url=runtime.db_url, triage=triage, extractor=extractor, memo=memo, embedder=inner)
