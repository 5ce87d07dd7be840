"""Text helpers for triage: where the signal in a citizen's message is."""

from __future__ import annotations

import re

from bot.textkit import sentences

# Salutations and closings carry no category signal; dropping them keeps the classifier on the problem.
_SALUTATION = re.compile(
    r"^(尊敬的|敬爱的|亲爱的)?[\u4e00-\u9fa5A-Za-z0-9]{0,12}(书记|市长|县长|区长|局长|领导|主任|同志|政府|部门|工作人员|您好|你好)"
    r"[，,：:！!\s]*(您好|你好)?[，,：:！!。\s]*"
)
_GREETING = re.compile(r"^(您好|你好|领导好|各位领导)[，,：:！!。\s]*")
_CLOSING = re.compile(
    r"(望|希望|恳请|请)?(领导|有关部门|相关部门|政府)?(予以)?(答复|回复|重视|关注|解决)为盼[。！!]*$|"
    r"(谢谢|感谢|此致敬礼|盼复|望答复|望回复|万分感谢)[！!。.\s]*$"
)


def strip_pleasantries(text: str) -> str:
    """The message without the salutation at its start and the closing at its end."""
    text = text.strip()
    for _ in range(2):
        text = _SALUTATION.sub("", text, count=1) if len(text) > 20 else text
        text = _GREETING.sub("", text, count=1)
    return _CLOSING.sub("", text).strip() or text.strip()


def focus_text(text: str, *, title: str | None = None, limit: int = 160) -> str:
    """The title and the first sentences of the body: where a message says what it is about."""
    body = strip_pleasantries(text or "")
    parts: list[str] = []
    if title and title.strip():
        parts.append(title.strip().rstrip("。！？!?") + "。")
    used = sum(len(p) for p in parts)
    for sentence in sentences(body):
        if used >= limit:
            break
        parts.append(sentence)
        used += len(sentence)
    return "".join(parts)[: limit + 40] or (text or "")[:limit]
