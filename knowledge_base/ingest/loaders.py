"""Turns a file into a title and heading-marked text: Markdown, plain text, HTML, DOCX, PDF."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadFileName, CorruptFile, EmptyDocument, FileTooLarge, UnsupportedFile
from bot.names import name_problem

SUPPORTED_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
                      ".htm": "html", ".docx": "docx", ".pdf": "pdf"}


@dataclass(frozen=True)
class LoadedDocument:
    """A document's text with Markdown-style `#` headings, whatever its original format."""

    doc_id: str
    title: str
    text: str
    file_type: str
    raw_bytes: bytes


def doc_id_for(path: Path) -> str:
    """The file name without its extension (shared/CONTRACTS.md)."""
    return path.stem


# What an archive-based file (DOCX) may unpack to: a normal 20 MB document unpacks to well under this; a
# "zip bomb" of a few hundred KB that unpacks to gigabytes is refused from its directory, before any of it
# is inflated.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def load_file(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Read one file; raises a `BadInput` subclass with a clear reason when it cannot."""
    file_type = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if file_type is None:
        raise UnsupportedFile(f"{path.name}: 不支持的文件类型 {path.suffix or '(无扩展名)'}，"
                              f"支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(f"{path.name}: 文件 {size} 字节，超过上限 {max_bytes} 字节")
    return load_bytes(path.name, path.read_bytes(), max_bytes=max_bytes)


def load_bytes(filename: str, data: bytes, *, max_bytes: int) -> LoadedDocument:
    """Parse uploaded bytes named `filename`; the same checks as `load_file`."""
    path = Path(filename)
    file_type = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if file_type is None:
        raise UnsupportedFile(f"{path.name}: 不支持的文件类型 {path.suffix or '(无扩展名)'}，"
                              f"支持 {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if len(data) > max_bytes:
        raise FileTooLarge(f"{path.name}: 文件 {len(data)} 字节，超过上限 {max_bytes} 字节")
    problem = name_problem(path.stem)
    if problem:
        raise BadFileName(f"{path.name!r}: 文件名{problem}，请改名后再上传")
    if file_type == "docx":
        _check_unpacked_size(path.name, data, MAX_UNPACKED_BYTES)
    parse = _PARSERS[file_type]
    try:
        text = parse(data)
    except (UnicodeDecodeError, ValueError, KeyError, OSError, Exception) as exc:  # noqa: B014
        # Parsers raise a zoo of exception types on corrupt input; all mean the same to the admin.
        raise CorruptFile(f"{path.name}: 文件已损坏或格式不符（{type(exc).__name__}）") from exc
    text = _normalise(text)
    if not re.sub(r"[#\s]", "", text):
        raise EmptyDocument(f"{path.name}: 文件中没有可用的文字内容")
    return LoadedDocument(doc_id=doc_id_for(path), title=_title(text, fallback=path.stem), text=text,
                          file_type=file_type, raw_bytes=data)


def _check_unpacked_size(name: str, data: bytes, limit: int) -> None:
    """Refuse an archive whose members would unpack past `limit`, from the sizes its directory declares
    (zipfile never inflates a member past its declared size, so the declaration bounds the memory)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CorruptFile(f"{name}: 文件已损坏或格式不符（{type(exc).__name__}）") from exc
    if unpacked > limit:
        raise FileTooLarge(f"{name}: 解压后 {unpacked} 字节，超过上限 {limit} 字节（疑似压缩炸弹），已拒绝")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", data, 0, 1, "neither UTF-8 nor GB18030")


def _parse_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError("binary content in a text file")
    return _decode(data)


def _parse_html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "lxml")
    for tag in soup(["script", "style", "nav", "footer", "noscript"]):
        tag.decompose()
    lines: list[str] = []
    title = soup.title.get_text(strip=True) if soup.title else ""
    body = soup.body or soup
    has_h1 = body.find("h1") is not None
    if title and not has_h1:
        lines.append(f"# {title}")
    for element in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "pre", "div"]):
        if element.name == "div" and element.find(["p", "li", "h1", "h2", "h3", "h4", "div", "table"]):
            continue
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name.startswith("h"):
            lines.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li":
            lines.append("- " + text)
        else:
            lines.append(text)
    return "\n".join(lines)


def _parse_docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        match = re.match(r"heading (\d)", style)
        if style == "title":
            lines.append("# " + text)
        elif match:
            lines.append("#" * min(int(match.group(1)) + 1, 6) + " " + text)
        elif "list" in style:
            lines.append("- " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append("：".join(cells))
    return "\n".join(lines)


def _parse_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    return "\n".join(pages)


_PARSERS = {"markdown": _parse_text, "text": _parse_text, "html": _parse_html, "docx": _parse_docx,
            "pdf": _parse_pdf}


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _title(text: str, *, fallback: str) -> str:
    for line in text.splitlines():
        match = re.match(r"^#{1,2}\s+(.+)$", line.strip())
        if match:
            return match.group(1).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:60] if first and len(first) <= 60 else fallback
