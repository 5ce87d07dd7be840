"""Fit replies into WeChat text messages: at most 2048 UTF-8 bytes each, split where a reader would pause."""

from __future__ import annotations

import re

# WeChat truncates or rejects text over 2048 bytes; keep headroom for the part marker.
TEXT_LIMIT_BYTES = 2000
# Since June 2023 one citizen message allows five customer-service messages; keep one for notifications.
MAX_PARTS = 4
TRUNCATED_NOTE = "……（内容较长，其余部分未能显示，详情可拨打12345咨询）"

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces, current = [], ""
    for char in text:
        if _size(current + char) > limit:
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def _atoms(text: str, limit: int) -> list[str]:
    """Lines, then sentences, then characters: the largest units that fit the limit."""
    atoms: list[str] = []
    for line in text.split("\n"):
        line_nl = line + "\n"
        if _size(line_nl) <= limit:
            atoms.append(line_nl)
            continue
        for sentence in filter(None, _SENTENCE_END.split(line_nl)):
            atoms.extend([sentence] if _size(sentence) <= limit else _hard_cut(sentence, limit))
    if atoms:
        atoms[-1] = atoms[-1].removesuffix("\n")
    return atoms


def split_reply(text: str, *, limit_bytes: int = TEXT_LIMIT_BYTES, max_parts: int = MAX_PARTS) -> list[str]:
    """Split `text` into parts of at most `limit_bytes`, marked （1/3） etc.; cut after `max_parts`."""
    text = text.strip()
    if _size(text) <= limit_bytes:
        return [text]
    marker_room = _size("\n（99/99）")
    budget = limit_bytes - marker_room
    parts: list[str] = []
    current = ""
    for atom in _atoms(text, budget):
        if current and _size(current + atom) > budget:
            parts.append(current.strip())
            current = ""
        current += atom
    if current.strip():
        parts.append(current.strip())
    if len(parts) > max_parts:
        parts = parts[:max_parts]
        room = budget - _size(TRUNCATED_NOTE)
        last = parts[-1]
        while _size(last) > room:
            last = last[:-1]
        parts[-1] = last + TRUNCATED_NOTE
    total = len(parts)
    return [f"{part}\n（{i}/{total}）" for i, part in enumerate(parts, start=1)] if total > 1 else parts
