"""Every supported file type loads to titled, heading-marked text; bad files fail with a clear reason."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bot.errors import BadFileName, CorruptFile, EmptyDocument, FileTooLarge, UnsupportedFile
from knowledge_base.ingest import loaders
from knowledge_base.ingest.loaders import load_bytes, load_file
from tests.knowledge_base.files import write_docx, write_pdf

LIMIT = 1024 * 1024


def test_markdown_keeps_headings_and_title(tmp_path: Path) -> None:
    path = tmp_path / "heating-guide.md"
    path.write_text("# 供暖指南\n\n## 报修\n\n暖气不热可拨打96069。\n", encoding="utf-8")
    doc = load_file(path, max_bytes=LIMIT)
    assert (doc.doc_id, doc.title, doc.file_type) == ("heating-guide", "供暖指南", "markdown")
    assert "## 报修" in doc.text


def test_plain_text_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes("停水通知\n本周三9时至17时停水。".encode("gb18030"))
    doc = load_file(path, max_bytes=LIMIT)
    assert doc.title == "停水通知"
    assert "9时至17时停水" in doc.text


def test_html_headings_become_markdown_and_scripts_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "parking.html"
    path.write_text(
        "<html><head><title>停车</title><script>alert(1)</script></head><body>"
        "<h1>居住区停车管理</h1><h2>收费</h2><p>夜间停车每小时1元。</p><ul><li>白天免费</li></ul></body></html>",
        encoding="utf-8",
    )
    doc = load_file(path, max_bytes=LIMIT)
    assert doc.title == "居住区停车管理"
    assert "## 收费" in doc.text and "- 白天免费" in doc.text
    assert "alert" not in doc.text


def test_docx_headings_and_paragraphs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "pension.docx", title="养老金领取",
                      sections={"领取条件": ["累计缴费满15年。"], "办理材料": ["本人身份证。"]})
    doc = load_file(path, max_bytes=LIMIT)
    assert doc.title == "养老金领取"
    assert "## 领取条件" in doc.text and "累计缴费满15年" in doc.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "gas.pdf", ["燃气报修指南", "燃气泄漏请拨打96777报修。"])
    doc = load_file(path, max_bytes=LIMIT)
    assert "96777" in doc.text and doc.title == "燃气报修指南"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("table.xlsx", b"PK\x03\x04", UnsupportedFile),
        ("noext", b"hello", UnsupportedFile),
        ("broken.docx", b"this is not a zip", CorruptFile),
        ("broken.pdf", b"%PDF-1.4 garbage", CorruptFile),
        ("binary.txt", b"\x00\x01\x02\x03", CorruptFile),
        ("empty.md", b"", EmptyDocument),
        ("blank.md", b"#  \n\n   \n", EmptyDocument),
    ],
)
def test_bad_files_fail_with_a_clear_reason(name: str, data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        load_bytes(name, data, max_bytes=LIMIT)
    assert name in str(caught.value)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(FileTooLarge, match="超过上限"):
        load_file(path, max_bytes=1024)


@pytest.mark.parametrize("name", ["居住证\u202etxt.md", "指南\u200b.md", "a\x07b.txt", "\ufeff办事.md"])
def test_file_names_with_hidden_characters_are_refused(name: str) -> None:
    with pytest.raises(BadFileName, match="不可见"):
        load_bytes(name, "# 标题\n\n正文内容".encode(), max_bytes=LIMIT)


def test_an_archive_that_unpacks_past_the_cap_is_refused_before_it_is_inflated(tmp_path: Path, monkeypatch) -> None:
    path = write_docx(tmp_path / "bomb.docx", title="看起来正常", sections={"办理": ["正文"]})
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", b"\0" * (8 * 1024 * 1024))  # 8 MB of zeros, ~8 KB packed
    data = path.read_bytes()
    assert len(data) < 100 * 1024
    monkeypatch.setattr(loaders, "MAX_UNPACKED_BYTES", 4 * 1024 * 1024)
    with pytest.raises(FileTooLarge, match="解压后.*压缩炸弹"):
        load_bytes("bomb.docx", data, max_bytes=LIMIT)
    # The same document within the cap is read as usual.
    monkeypatch.setattr(loaders, "MAX_UNPACKED_BYTES", 16 * 1024 * 1024)
    assert "正文" in load_bytes("bomb.docx", data, max_bytes=LIMIT).text
