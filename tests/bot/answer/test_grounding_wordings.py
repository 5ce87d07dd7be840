"""Grounding beyond the listed wordings: an item named in part is answered, near neighbours refused, and the
admins' hit test shows the answerer's own decision."""

from __future__ import annotations

import pytest

from connectors.runtime import Runtime


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        # Part of the name only, the rest in the citizen's words.
        ("没工作了每个月能领的失业补助在哪申请", "unemployment-benefit"),
        ("想把外地的户口迁到这边，要啥材料", "hukou-transfer"),
    ],
)
def test_item_named_in_everyday_words_is_answered(runtime: Runtime, question: str, doc_id: str) -> None:
    result = runtime.answerer.answer(question)
    assert result.grounded
    assert result.citations[0].doc_id == doc_id


@pytest.mark.parametrize("question", ["摩托车上牌去哪办", "我想问一下公租房怎么申请", "养猫登记怎么申请？"])
def test_near_neighbour_stays_refused(runtime: Runtime, question: str) -> None:
    assert not runtime.answerer.answer(question).grounded


def test_hit_test_reason_is_the_answerers_decision_in_chinese(runtime: Runtime) -> None:
    question = "没工作了每个月能领的失业补助在哪申请"
    decision = runtime.answerer.ground(question, runtime.knowledge_base.search(question, top_k=8))
    assert decision.supported
    assert "可以据此回答" in decision.reason and "coverage" not in decision.reason


def test_a_quoted_note_is_not_taken_for_the_asked_fact(runtime: Runtime) -> None:
    """The sample guides open with "> 本文为示例内容…以主管部门最新发布为准": it names a department but is no answer."""
    result = runtime.answerer.answer("生育津贴归哪个部门管？")
    assert result.grounded and result.citations[0].doc_id == "maternity-insurance-allowance"
    assert "医疗保障部门" in result.answer and "示例内容" not in result.answer
