"""Chunks follow headings, articles and sentences, overlap a little, and keep their place in the document."""

from __future__ import annotations

from knowledge_base.ingest.chunking import MAX_CHARS, chunk_document


def test_headings_form_the_heading_path() -> None:
    text = "# 居住证办理\n## 办理材料\n- 身份证\n- 照片\n## 办理地点\n居住地派出所。"
    chunks = chunk_document(doc_id="rp", title="居住证办理", text=text)
    assert [c.heading_path for c in chunks] == [("居住证办理", "办理材料"), ("居住证办理", "办理地点")]
    assert all(c.title == "居住证办理" for c in chunks)


def test_each_article_starts_a_chunk_when_the_current_one_is_big_enough() -> None:
    article = "业主应当按照约定交纳物业服务费用，不得以未享受服务为由拒交。"
    text = "# 条例\n## 第二章 业主\n" + "\n".join(f"第{n}条 {article * 4}" for n in "一二三")
    chunks = chunk_document(doc_id="pm", title="条例", text=text)
    assert [c.text[:3] for c in chunks] == ["第一条", "第二条", "第三条"]
    assert chunks[0].heading_path == ("条例", "第二章 业主")


def test_long_sections_split_on_sentences_with_overlap() -> None:
    sentences = [f"第{n}句说明了供暖报修的一个细节内容，请市民知悉并配合工作人员入户检查。" for n in range(30)]
    chunks = chunk_document(doc_id="h", title="供暖", text="# 供暖\n" + "".join(sentences))
    assert len(chunks) > 2
    assert all(len(c.text) <= MAX_CHARS + 60 for c in chunks)
    # Consecutive chunks share their boundary sentence, so a fact split across them is still whole once.
    for first, second in zip(chunks, chunks[1:], strict=False):
        assert first.text.splitlines()[-1] == second.text.splitlines()[0]


def test_chunk_ids_depend_on_content_so_unchanged_chunks_keep_them() -> None:
    before = chunk_document(doc_id="d", title="T", text="# T\n## A\n甲。\n## B\n乙。")
    after = chunk_document(doc_id="d", title="T", text="# T\n## A\n甲。\n## B\n乙改了。")
    assert before[0].chunk_id == after[0].chunk_id
    assert before[1].chunk_id != after[1].chunk_id
    assert all(c.chunk_id.startswith("d:") for c in before)
