"""Urgency: emergency (call 110/119/120/122 now), urgent (outages, hazards), or normal."""

from __future__ import annotations

import re

_OUTAGE = re.compile(r"(停水|停电|停气|停暖|没有水|没水|没电|没有电|没气|暖气不热|不供暖|断水|断电)")
_HAZARD = re.compile(
    r"(安全隐患|随时(可能)?(倒塌|掉落|坠落|出事|砸)|井盖(丢|没了|缺失|被偷)|塌陷|漏电|电线(掉|裸露|垂)|高空坠物|"
    r"摇摇欲坠|倾斜|有倒塌|危房|困人|卧床|独居老人|无人照顾|高烧|一直没水|冻|紧急|十万火急|急需|非常着急|特别着急)"
)


def assess_urgency(text: str, *, emergency: bool) -> str:
    """The urgency level of a message given whether it is an emergency."""
    if emergency:
        return "emergency"
    if _OUTAGE.search(text):  # an outage is urgent whatever category it was filed under
        return "urgent"
    if _HAZARD.search(text):
        return "urgent"
    return "normal"
