"""Chinese-aware chunking: split on headings, on articles (第X条) and on sentences, with a little overlap."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

MAX_CHARS = 360
MIN_CHARS = 120

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_CN_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[章节编])\s*\S.{0,40}$")
_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+条)")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document, with where it sits in the document."""

    chunk_id: str
    doc_id: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    ord: int

    def embedding_text(self) -> str:
        """The text the embedder sees: title and headings give the chunk its context."""
        path = " > ".join(p for p in self.heading_path if p != self.title)
        head = f"{self.title}｜{path}" if path else self.title
        return f"{head}\n{self.text}"


@dataclass
class _Section:
    heading_path: tuple[str, ...]
    units: list[str] = field(default_factory=list)


def chunk_document(*, doc_id: str, title: str, text: str) -> list[Chunk]:
    """Split a loaded document into chunks; every chunk keeps the title and heading path."""
    pieces: list[tuple[tuple[str, ...], str, bool]] = []
    for section in _sections(text, title):
        for packed, continued in _pack(section.units):
            pieces.append((section.heading_path, packed, continued))
    return _with_ids(doc_id, title, pieces)


def _sections(text: str, title: str) -> list[_Section]:
    headings: list[tuple[int, str]] = []
    sections = [_Section(heading_path=(title,))]
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        md = _MD_HEADING.match(line)
        cn = _CN_HEADING.match(line) if not md else None
        if md or cn:
            level = len(md.group(1)) if md else 2
            name = (md.group(2) if md else line).strip()
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, name)]
            path = tuple(h for _, h in headings)
            if path and path[0] != title:
                path = (title, *path)
            sections.append(_Section(heading_path=path or (title,)))
            continue
        sections[-1].units.extend(_units(line))
    return [s for s in sections if s.units]


def _units(line: str) -> list[str]:
    """A line becomes one unit, or several sentences when it is long."""
    if len(line) <= MAX_CHARS:
        return [line]
    sentences = [s for s in _SENTENCE_END.split(line) if s.strip()]
    units: list[str] = []
    for sentence in sentences:
        # A single sentence longer than a chunk is cut at a comma, then hard-wrapped.
        while len(sentence) > MAX_CHARS:
            cut = max(sentence.rfind("，", 0, MAX_CHARS), sentence.rfind(",", 0, MAX_CHARS))
            cut = cut + 1 if cut > MAX_CHARS // 2 else MAX_CHARS
            units.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence.strip():
            units.append(sentence)
    return units


def _pack(units: list[str]) -> list[tuple[str, bool]]:
    """Pack units into chunks; a new article starts a new chunk, and a split section overlaps by one unit."""
    chunks: list[tuple[str, bool]] = []
    current: list[str] = []
    continued = False
    for unit in units:
        size = sum(len(u) for u in current)
        starts_article = bool(_ARTICLE.match(unit))
        if current and (size + len(unit) > MAX_CHARS or (starts_article and size >= MIN_CHARS)):
            chunks.append(("\n".join(current), continued))
            # Overlap: carry the last unit over unless it is an article of its own or too long.
            last = current[-1]
            carry = not starts_article and not _ARTICLE.match(last) and len(last) <= MAX_CHARS // 3
            current = [last] if carry else []
            continued = True
        current.append(unit)
    if current:
        chunks.append(("\n".join(current), continued))
    return chunks


def _with_ids(doc_id: str, title: str, pieces: list[tuple[tuple[str, ...], str, bool]]) -> list[Chunk]:
    """Ids come from the chunk's content, so an unchanged chunk keeps its id (and its embedding)."""
    seen: dict[str, int] = {}
    chunks: list[Chunk] = []
    for ord_, (path, text, _continued) in enumerate(pieces):
        digest = hashlib.sha1("\x1f".join((*path, text)).encode()).hexdigest()[:12]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        chunk_id = f"{doc_id}:{digest}" + (f"-{n}" if n else "")
        chunks.append(Chunk(chunk_id=chunk_id, doc_id=doc_id, title=title, heading_path=path, text=text,
                            ord=ord_))
    return chunks
