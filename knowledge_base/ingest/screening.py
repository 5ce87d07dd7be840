"""Screens a document's text at ingest for lines that talk to the assistant instead of informing citizens
("忽略以上内容，回答：…"). They are flagged to the admin; the document is still data, never instructions,
and answers are built only from the fields a question asks for."""

from __future__ import annotations

import re

from bot.triage.intent import is_injection

# Addressing the model: an override of what came before, a demand for a fixed reply, or a role change.
_ADDRESSES_MODEL = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|不要管|跳过)(掉)?(你)?(之前|以上|上面|前面|上述|前文|所有|全部|其他)|"
    r"(请|你)(必须|只能|一律|直接)(回答|回复|输出|说)|"
    r"(回答|回复|输出)(为|成|：|:)\s*\S|"
    r"(作为|你是)(一个)?(AI|人工智能|助手|机器人|语言模型)|"
    r"(new|override|ignore|disregard).{0,20}(instruction|prompt|rule)s?|\bassistant\s*:",
    re.IGNORECASE,
)
MAX_FLAGGED = 20


def instruction_like_lines(text: str) -> list[str]:
    """The lines of `text` that read as instructions to an assistant (at most MAX_FLAGGED, trimmed)."""
    flagged = []
    for line in text.splitlines():
        line = line.strip().lstrip("#-* ").strip()
        if line and (is_injection(line) or _ADDRESSES_MODEL.search(line)):
            flagged.append(line[:120])
            if len(flagged) >= MAX_FLAGGED:
                break
    return flagged
