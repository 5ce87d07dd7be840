"""Splitting replies to WeChat's text limit."""

from __future__ import annotations

from connectors.wechat.split import TRUNCATED_NOTE, split_reply


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_short_reply_is_one_part_without_marker() -> None:
    assert split_reply("  您好，请问有什么可以帮您？ ") == ["您好，请问有什么可以帮您？"]


def test_parts_fit_and_cut_at_sentence_ends() -> None:
    text = "".join(f"第{i}句话的内容比较长一些。" for i in range(200))
    parts = split_reply(text, limit_bytes=600)
    assert len(parts) == 4  # capped
    assert all(_size(p) <= 600 for p in parts)
    assert parts[0].split("\n")[0].endswith("。")
    assert parts[-1].endswith(f"{TRUNCATED_NOTE}\n（4/4）")


def test_text_without_punctuation_is_cut_hard() -> None:
    parts = split_reply("字" * 1500, max_parts=10)
    assert all(_size(p) <= 2000 for p in parts)
    assert "".join(p.rsplit("\n", 1)[0] for p in parts) == "字" * 1500


def test_multibyte_boundaries_are_kept() -> None:
    parts = split_reply("😀" * 1000, limit_bytes=500, max_parts=20)
    assert all(_size(p) <= 500 for p in parts)
    assert "".join(p.rsplit("\n", 1)[0] for p in parts) == "😀" * 1000
