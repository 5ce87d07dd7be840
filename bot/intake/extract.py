"""Ticket extraction, two paths and one result type: the LLM by tool calling when available, rules offline.

The LLM's answer is checked against the message (a phone or a place the text never mentions is dropped),
so neither path can invent a fact.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.intake.address import find_location
from bot.intake.contact import find_contact
from bot.intake.gazetteer import Gazetteer
from bot.intake.text_facts import find_parties, neutral_summary, sentiment
from bot.intake.timex import find_time
from bot.pii import mask_id_numbers
from bot.taxonomy import Taxonomy
from bot.tickets.models import Category, Contact, Location, OccurredAt, Party, Ticket
from bot.triage.service import TriageResult

log = logging.getLogger(__name__)


class _Gateway(Protocol):
    @property
    def available(self) -> bool: ...

    def extract(self, prompt_name: str, schema: type, /, **variables: object) -> BaseModel | None: ...


class ExtractedTicket(BaseModel):
    """The tool the LLM fills: the facts of one message; null where the message says nothing."""

    model_config = ConfigDict(extra="forbid")

    intent: Literal["consult", "help", "complaint", "report", "suggestion", "praise", "status_query", "other"] | None = None
    category_level1: str | None = Field(None, description="一级分类，原样抄写")
    category_level2: str | None = Field(None, description="二级分类，原样抄写")
    summary: str | None = Field(None, description="一句话客观摘要")
    location_raw: str | None = Field(None, description="原文中的地点")
    district: str | None = None
    street: str | None = Field(None, description="街道、镇或乡")
    community: str | None = Field(None, description="小区、社区、村或楼号")
    landmark: str | None = None
    occurred_raw: str | None = Field(None, description="原文中的时间说法")
    occurred_start: datetime | None = None
    recurrence: str | None = Field(None, description="如“每天晚上”")
    contact_name: str | None = None
    contact_phone: str | None = None
    callback_wanted: bool | None = None
    anonymous: bool | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    parties: list[str] = Field(default_factory=list)


class Extractor:
    """Turns one message into a draft ticket (no ticket number until the citizen confirms)."""

    def __init__(self, *, taxonomy: Taxonomy, gazetteer: Gazetteer, gateway: _Gateway | None = None) -> None:
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.gateway = gateway

    def extract(self, text: str, *, now: datetime, triage: TriageResult, channel: str = "web",
                title: str | None = None) -> Ticket:
        """The draft ticket: the LLM path when it answers and validates, else the offline rules."""
        offline = self.offline(text, now=now, triage=triage, channel=channel, title=title)
        if self.gateway is None or not self.gateway.available:
            return offline
        llm = self.gateway.extract(
            "extract_ticket", ExtractedTicket, message=text, now=now.isoformat(timespec="minutes"),
            city=self.gazetteer.city,
            categories=[f"{c.name}/{s.name}" for c in self.taxonomy.categories for s in c.children],
        )
        if not isinstance(llm, ExtractedTicket):
            return offline
        return self.merge(offline, llm, text=text)

    def offline(self, text: str, *, now: datetime, triage: TriageResult, channel: str = "web",
                title: str | None = None) -> Ticket:
        """Rules, gazetteer and the triage classifier; nothing the text does not say."""
        full = f"{title}。{text}" if title else text
        place = find_location(full, gazetteer=self.gazetteer)
        when = find_time(full, now=now)
        contact = find_contact(full)
        return Ticket(
            channel=channel if channel in ("web", "wechat", "agent", "api", "cli") else "api",
            intent=triage.intent,
            category=Category(level1=triage.category.level1, level2=triage.category.level2),
            summary=neutral_summary(text, title=title),
            verbatim=mask_id_numbers(text),
            location=Location(raw=place.raw, district=place.district, street=place.street,
                              community=place.community, landmark=place.landmark),
            occurred_at=OccurredAt(raw=when.raw, start=when.start, recurrence=when.recurrence),
            contact=Contact(name=contact.name, phone=contact.phone, callback_wanted=contact.callback_wanted,
                            anonymous=bool(contact.anonymous)),
            urgency=triage.urgency,
            sentiment=sentiment(full),
            parties=find_parties(full),
        )

    def merge(self, offline: Ticket, llm: ExtractedTicket, *, text: str) -> Ticket:
        """Take the LLM's reading where it is grounded in the text; keep the rules' where it is not."""
        digits = re.sub(r"\D", "", text)

        def said(value: str | None) -> str | None:
            return value if value and value.strip() and value.strip() in text else None

        category = offline.category
        if llm.category_level1 and self.taxonomy.level1(llm.category_level1):
            names = self.taxonomy.level2_names(llm.category_level1)
            level2 = llm.category_level2 if llm.category_level2 in names else ("其他" if "其他" in names else names[-1])
            category = Category(level1=llm.category_level1, level2=level2)
        phone = llm.contact_phone if llm.contact_phone and re.sub(r"\D", "", llm.contact_phone) in digits else None
        district = self.gazetteer.normalise_district(llm.district)
        if district and not (district in text or any(a in text for a in (district.removesuffix("区"),))
                             or (offline.location.street and district in self.gazetteer.district_of(offline.location.street))):
            district = None
        loc = offline.location
        location = Location(
            raw=said(llm.location_raw) or loc.raw,
            district=district or loc.district,
            street=(llm.street if llm.street and said(llm.street) and self.gazetteer.district_of(llm.street) else None)
            or loc.street,
            community=said(llm.community) or loc.community,
            landmark=said(llm.landmark) or loc.landmark,
            latitude=loc.latitude, longitude=loc.longitude,
        )
        occurred = offline.occurred_at
        if said(llm.occurred_raw) and occurred.raw is None:
            occurred = OccurredAt(raw=llm.occurred_raw, start=llm.occurred_start, recurrence=said(llm.recurrence))
        summary = llm.summary.strip()[:120] if llm.summary and llm.summary.strip() else offline.summary
        parties = [Party(name=p, kind="unknown") for p in llm.parties if said(p)] or offline.parties
        intent = llm.intent if llm.intent and offline.intent != "emergency" else offline.intent
        return offline.model_copy(update={
            "intent": intent,
            "category": category,
            "summary": summary,
            "location": location,
            "occurred_at": occurred,
            "contact": Contact(
                name=said(llm.contact_name) or offline.contact.name,
                phone=phone or offline.contact.phone,
                callback_wanted=llm.callback_wanted if llm.callback_wanted is not None else offline.contact.callback_wanted,
                anonymous=bool(llm.anonymous) or offline.contact.anonymous,
            ),
            "sentiment": llm.sentiment or offline.sentiment,
            "parties": parties,
        })
