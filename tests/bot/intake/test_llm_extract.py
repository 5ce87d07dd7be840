"""The LLM path through the local OpenAI-compatible server: tool calls, one repair, grounding, fallback."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.intake.extract import Extractor
from bot.intake.gazetteer import load_gazetteer
from bot.llm.gateway import Gateway
from bot.llm.openai_compat import OpenAICompatibleModel
from bot.triage.service import Triage
from tests.fakes.openai_server import FakeOpenAIServer, HTTPError, ToolCall

TEXT = "海淀区中关村街道的路灯坏了一个星期，晚上很黑，电话13812345678"
NOW = datetime(2026, 3, 12, 10, 30)


@pytest.fixture
def extractor(triage: Triage, fake_openai: FakeOpenAIServer) -> Extractor:
    model = OpenAICompatibleModel(base_url=fake_openai.base_url, api_key="k", model="m", timeout_s=5.0)
    return Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer(), gateway=Gateway(model))


def _args(**overrides: object) -> str:
    base = {"intent": "complaint", "category_level1": "城乡建设", "category_level2": "市政设施",
            "summary": "市民反映中关村街道路灯损坏一周。", "location_raw": "海淀区中关村街道", "district": "海淀区",
            "street": "中关村街道", "contact_phone": "13812345678"}
    return json.dumps({**base, **overrides}, ensure_ascii=False)


def test_tool_call_fills_the_ticket(extractor: Extractor, triage: Triage, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(ToolCall("ExtractedTicket", _args()))
    ticket = extractor.extract(TEXT, now=NOW, triage=triage.classify(TEXT))
    assert ticket.summary == "市民反映中关村街道路灯损坏一周。"
    assert ticket.category.level2 == "市政设施" and ticket.contact.phone == "13812345678"
    request = fake_openai.requests[-1]
    assert request["tools"][0]["function"]["name"] == "ExtractedTicket"
    assert "城乡建设/市政设施" in request["messages"][0]["content"]


def test_invalid_tool_call_is_repaired_once(extractor: Extractor, triage: Triage, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(ToolCall("ExtractedTicket", '{"intent": "shouting", "category_level1": '),
                        ToolCall("ExtractedTicket", _args(summary="修复后的摘要。")))
    ticket = extractor.extract(TEXT, now=NOW, triage=triage.classify(TEXT))
    assert ticket.summary == "修复后的摘要。"
    assert fake_openai.request_count == 2


def test_two_invalid_calls_fall_back_to_the_offline_path(extractor: Extractor, triage: Triage,
                                                         fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(ToolCall("ExtractedTicket", "not json"), ToolCall("ExtractedTicket", "still not json"))
    ticket = extractor.extract(TEXT, now=NOW, triage=triage.classify(TEXT))
    assert ticket.summary and ticket.summary.startswith("市民反映")
    assert ticket.location.street == "中关村街道"


def test_endpoint_failure_falls_back(extractor: Extractor, triage: Triage, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(HTTPError(500), HTTPError(500), HTTPError(500))
    ticket = extractor.extract(TEXT, now=NOW, triage=triage.classify(TEXT))
    assert ticket.contact.phone == "13812345678"


def test_facts_the_text_does_not_contain_are_dropped(extractor: Extractor, triage: Triage,
                                                     fake_openai: FakeOpenAIServer) -> None:
    text = "路灯坏了一个星期，晚上很黑"
    fake_openai.enqueue(ToolCall("ExtractedTicket", _args(contact_phone="13900000000", district="朝阳区",
                                                          location_raw="朝阳区望京", category_level1="不存在的分类")))
    ticket = extractor.extract(text, now=NOW, triage=triage.classify(text))
    assert ticket.contact.phone is None
    assert ticket.location.is_empty()
    assert ticket.category.level1 in [c.name for c in triage.taxonomy.categories]
