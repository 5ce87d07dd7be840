"""Question understanding without phrasing lists: alignment with titles, field by similarity, honest refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.align import align, rest_of, uncovered
from bot.answer.question import field_scores
from connectors.runtime import Runtime


def _flat(_word: str) -> float:
    return 1.0


@pytest.mark.parametrize(
    ("question", "title", "span", "clash"),
    [
        ("来电人问：居住证需要带什么材料？", "居住证申领与签注办理指南", "居住证", 0),
        ("居注证要带啥", "居住证申领与签注办理指南", "居注证", 0),  # homophone typo
        ("个体工商户营业执造在哪办", "个体工商户营业执照办理指南", "个体工商户营业执造", 0),
        ("我想问一下公租房怎么申请", "租房提取住房公积金办理指南", "租房", 1),  # "公" makes it another item
        # An agent relaying a caller: jieba's dictionary tags a lone "问" as a noun, or glues it onto the name.
        ("一位大叔打电话问居住证申领要多久", "居住证申领与签注办理指南", "居住证申领", 0),
        ("刚才有个阿姨来电问养犬登记证核发在哪办", "养犬登记证核发", "养犬登记证核发", 0),
        ("麻烦问下廉租房申请收不收钱", "租房提取住房公积金办理指南", "租房", 1),
    ],
)
def test_question_lines_up_with_the_title_it_names(question: str, title: str, span: str, clash: int) -> None:
    alignment = align(question, title, _flat)
    assert alignment.span == span
    assert (alignment.clash > 0) == bool(clash)
    assert span not in rest_of(question, alignment) or not span


@pytest.mark.parametrize(
    ("question", "title", "headings", "missing"),
    [
        # The item the question names has words the title and headings lack: another item.
        ("我想问一下公租房怎么申请", "租房提取住房公积金办理指南", ["办理条件"], True),
        ("养猫登记怎么申请？", "养犬登记证核发", ["办理地点"], True),
        ("宠物犬猫入境检疫要什么材料", "携带宠物犬猫出境检疫指南", ["出境前要准备的东西"], True),
        # A sound-alike whose neighbour lines up elsewhere in the name is another word, not a typo.
        ("公租房的电话是多少", "住房公积金个人住房贷款申请指南", [], True),
        # Typos: each neighbour of the sound-alike is the name's neighbour too.
        ("无犯罪纪录证明去哪开", "无犯罪记录证明开具", [], False),
        ("购房提取公鸡金要多久", "购房提取住房公积金办理指南", [], False),
        # Covered: by a heading, by the title, around a relayed caller, a politeness, a field, a varied verb.
        ("供暖期什么时候开始", "冬季供暖服务与暖气报修指南", ["供暖期与室温标准"], False),
        ("来电人问：居住证需要带什么材料？", "居住证申领与签注办理指南", [], False),
        ("麻烦问下居住证收不收钱", "居住证申领与签注办理指南", [], False),
        ("麻烦问问携带宠物犬猫出境检疫大概要几天", "携带宠物犬猫出境检疫指南", [], False),
        ("宠物出境检疫支持线上申请吗", "携带宠物犬猫出境检疫指南", [], False),
        ("出生证明补办要钱吗", "出生医学证明补发", [], False),
    ],
)
def test_question_side_coverage_of_the_named_item(question: str, title: str, headings: list[str],
                                                   missing: bool) -> None:
    alignment = align(question, title, _flat)
    names = [title, *headings]
    assert (uncovered(question, alignment, names, "|".join(names)) > 0) == missing


def test_field_is_found_by_similarity_not_by_a_listed_ending() -> None:
    scores = field_scores("需要带什么材料")
    assert max(scores, key=lambda k: scores[k]) == "materials"
    scores = field_scores("电话号码多少啊")
    assert max(scores, key=lambda k: scores[k]) == "phone"


@pytest.mark.parametrize(
    ("rest", "kind"),
    [
        # What a question asks, worded unlike the fields' names and unlike bot/resources/field_askings.yaml.
        ("打哪个号问", "phone"),
        ("银行要做，电话多少", "phone"),
        ("材料交到哪里", "location"),  # handing in materials: where, not which
        ("要交什么材料", "materials"),
        ("办下来得几天", "time"),
        ("收不收钱", "fee"),
    ],
)
def test_field_is_found_in_everyday_askings(runtime: Runtime, rest: str, kind: str) -> None:
    _ = runtime.answerer  # building the answerer installs the knowledge base's e5 for field similarity
    scores = field_scores(rest)
    assert max(scores, key=lambda k: scores[k]) == kind


def test_absent_neighbour_is_refused_and_refusal_lists_no_documents(runtime: Runtime) -> None:
    result = runtime.answerer.answer("我想问一下公租房怎么申请")
    assert not result.grounded
    assert result.citations == []


def test_relayed_question_is_answered_like_the_plain_one(runtime: Runtime) -> None:
    result = runtime.answerer.answer("来电人问：居住证需要带什么材料？")
    assert result.grounded and result.citations[0].doc_id == "residence-permit"
    assert "身份证" in result.answer


def test_uploaded_guide_answers_without_its_title_repeated(runtime: Runtime, tmp_path: Path) -> None:
    guide = tmp_path / "pet-export.md"
    guide.write_text("# 携带宠物犬猫出境检疫指南\n\n## 在哪里申报\n\n市海关旅检处动物检疫窗口（机场路88号）。\n\n"
                     "## 咨询电话\n\n海关旅检处：010-64385720\n", encoding="utf-8")
    runtime.knowledge_base.ingest_paths([guide])
    result = runtime.answerer.answer("宠物出境检疫打什么电话？")
    assert result.grounded and result.citations[0].doc_id == "pet-export"
    assert "010-64385720" in result.answer


@pytest.mark.parametrize(
    ("question", "title", "swapped"),
    [
        ("宠物犬猫入境检疫在哪里申报？", "携带宠物犬猫出境检疫指南", 1),  # "入" where the title has "出"
        ("食品生产许可证多久能办好", "食品经营许可证办理指南", 2),
        ("请问下残疾人机动轮椅车燃油补贴找哪个部门", "残疾人两项补贴（生活补贴与护理补贴）申领指南", 7),
        ("在外地看病报医保的备案要啥条件", "医保异地就医备案与直接结算指南", 0),  # "的" only joins
        ("居民医疗保险交费准备啥资料", "城乡居民基本医疗保险参保缴费指南", 0),  # words left out, none replaced
        ("干活时受伤认定工伤要办多久才行", "工伤认定申请办理指南", 0),  # "办" is what is asked
        ("办狗证怎么弄", "养犬登记证核发", 0),
    ],
)
def test_words_put_in_place_of_part_of_the_name_are_counted(question: str, title: str, swapped: int) -> None:
    assert align(question, title, _flat).swapped == swapped


def test_an_item_named_in_everyday_words_is_answered_when_its_title_is_the_nearest(runtime: Runtime) -> None:
    kb = runtime.knowledge_base
    question = "干活时受伤认定工伤要办多久才行"
    nearest = kb.nearest_titles(question)
    assert nearest[0][0] == "work-injury-recognition"
    decision = runtime.answerer.ground(question, kb.search(question, top_k=8))
    assert decision.supported and decision.doc_id == "work-injury-recognition"
    assert "最接近的文档名称就是本文" in decision.reason
    result = runtime.answerer.answer(question)
    assert result.grounded and result.citations[0].doc_id == "work-injury-recognition"


def test_near_neighbour_of_an_uploaded_guide_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    guide = tmp_path / "pet-export.md"
    guide.write_text("# 携带宠物犬猫出境检疫指南\n\n## 在哪里申报\n\n市海关旅检处动物检疫窗口（机场路88号）。\n\n"
                     "## 咨询电话\n\n海关旅检处：010-64385720\n", encoding="utf-8")
    runtime.knowledge_base.ingest_paths([guide])
    answered = runtime.answerer.answer("宠物犬猫出境检疫在哪里申报？")
    assert answered.grounded and answered.citations[0].doc_id == "pet-export"
    refused = runtime.answerer.answer("宠物犬猫入境检疫在哪里申报？")
    assert not refused.grounded
    assert refused.citations == [] and "参考依据" not in refused.answer
    assert "入境" in refused.answer  # the refusal names what was asked, not the neighbour
