"""Run extraction through the real LLM path (gateway, tool calling, validation, repair) against a local fake
OpenAI-compatible server that answers with the offline reading, so the plumbing is measured end to end.
Every tenth answer is first sent as an invalid tool call, to exercise the repair round.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bot.intake.extract import ExtractedTicket, Extractor
from bot.tickets.models import Ticket
from bot.triage.service import TriageResult


def tool_arguments(ticket: Ticket) -> dict[str, Any]:
    """What a faithful model would put in the tool call for this reading."""
    return ExtractedTicket(
        intent=ticket.intent if ticket.intent != "emergency" else "help",
        category_level1=ticket.category.level1 if ticket.category else None,
        category_level2=ticket.category.level2 if ticket.category else None,
        summary=ticket.summary, location_raw=ticket.location.raw, district=ticket.location.district,
        street=ticket.location.street, community=ticket.location.community, landmark=ticket.location.landmark,
        occurred_raw=ticket.occurred_at.raw, occurred_start=ticket.occurred_at.start,
        recurrence=ticket.occurred_at.recurrence, contact_name=ticket.contact.name, contact_phone=ticket.contact.phone,
        callback_wanted=ticket.contact.callback_wanted, anonymous=ticket.contact.anonymous,
        sentiment=ticket.sentiment, parties=[p.name for p in ticket.parties],
    ).model_dump(mode="json")


@contextmanager
def llm_extractor(offline: Extractor) -> Iterator[tuple[Extractor, Any]]:
    """An extractor wired to a started fake server through the production gateway; yields it and the server."""
    from bot.llm.gateway import Gateway
    from bot.llm.openai_compat import OpenAICompatibleModel
    from tests.fakes.openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        model = OpenAICompatibleModel(base_url=server.base_url, api_key="test", model="fake-model", timeout_s=10.0)
        yield Extractor(taxonomy=offline.taxonomy, gazetteer=offline.gazetteer, gateway=Gateway(model)), server


def extract_via_llm(extractor: Extractor, server: Any, offline_ticket: Ticket, text: str, *, now: datetime,
                    triage: TriageResult, index: int, title: str | None = None) -> Ticket:
    """Queue the tool call(s) for one message and extract through the LLM path."""
    from tests.fakes.openai_server import ToolCall

    args = json.dumps(tool_arguments(offline_ticket), ensure_ascii=False)
    if index % 10 == 0:
        server.enqueue(ToolCall("ExtractedTicket", '{"category_level1": "城乡建设", "intent": "not-an-intent"'))
    server.enqueue(ToolCall("ExtractedTicket", args))
    return extractor.extract(text, now=now, triage=triage, channel="cli", title=title)
