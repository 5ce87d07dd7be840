"""Time expressions in Chinese text, normalised against the message's own time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_NUM = "零〇一二两三四五六七八九十"
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_N = rf"(\d{{1,2}}|[{_NUM}]{{1,3}})"

_RECURRENCE = re.compile(
    r"(每天|每日|每晚|天天|每天晚上|每天早上|每天凌晨|每天夜里|每天中午|每天下午|每个?周末|每到周末|每逢周末|每个?(周|星期|礼拜)[一二三四五六日天]"
    r"|每隔\S{1,3}天|每到晚上|每到夜里|一到晚上|一到夜里|夜夜)"
    r"(晚上|夜里|早上|凌晨|中午|下午|上午)?"
    rf"({_N}点(半|{_N}分)?)?(到|至|-)?({_N}点(半|{_N}分)?)?"
)
_ABS_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_REL_DAY = re.compile(r"(大前天|前天|昨天|昨日|昨晚|昨夜|今天|今日|今晚|今早|今天早上|刚才|刚刚|上午|下午|"
                      r"上个?(周|星期|礼拜)[一二三四五六日天]|这个?(周|星期|礼拜)[一二三四五六日天]|(周|星期|礼拜)[一二三四五六日天]"
                      rf"|{_N}(天|日)(前|之前)|{_N}个?(小时|钟头)(前|之前)|上个月|上周|去年)")
_TIME_OF_DAY = re.compile(rf"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|深夜)?{_N}点(半|{_N}分)?")


@dataclass(frozen=True)
class TimeFacts:
    """When it happened: the phrase as written, its start if it can be pinned down, and any recurrence."""

    raw: str | None = None
    start: datetime | None = None
    recurrence: str | None = None


def cn_number(text: str) -> int | None:
    """'十二' → 12, '两' → 2, '7' → 7."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    if len(text) == 1 and text in _DIGITS:
        return _DIGITS[text]
    return None


def _hour(part: str | None, hour: int) -> int:
    if part in ("下午", "傍晚", "晚上", "夜里", "深夜") and hour < 12:
        return hour + 12
    if part in ("中午",) and hour < 6:
        return hour + 12
    if part == "半夜" and hour >= 11:
        return hour % 24 if hour == 12 else hour
    return hour


def _day(match: str, now: datetime) -> datetime | None:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    fixed = {"大前天": 3, "前天": 2, "昨天": 1, "昨日": 1, "昨晚": 1, "昨夜": 1, "今天": 0, "今日": 0, "今晚": 0,
             "今早": 0, "今天早上": 0, "上午": 0, "下午": 0}
    if match in fixed:
        return today - timedelta(days=fixed[match])
    if match in ("刚才", "刚刚"):
        return now
    m = re.fullmatch(r"(上个?|这个?)?(周|星期|礼拜)([一二三四五六日天])", match)
    if m:
        target = _WEEKDAYS[m.group(3)]
        back = (today.weekday() - target) % 7
        if m.group(1) and m.group(1).startswith("上"):
            back = today.weekday() + 7 - target
        return today - timedelta(days=back)
    m = re.fullmatch(rf"{_N}(天|日)(前|之前)", match)
    if m and (n := cn_number(m.group(1))) is not None:
        return today - timedelta(days=n)
    m = re.fullmatch(rf"{_N}个?(小时|钟头)(前|之前)", match)
    if m and (n := cn_number(m.group(1))) is not None:
        return now - timedelta(hours=n)
    return None  # 上个月 / 去年 are kept as phrases; a guessed day would be invented


def find_time(text: str, *, now: datetime) -> TimeFacts:
    """The first time expression, normalised against `now`; recurrence phrases kept as written."""
    recurrence = None
    rec = _RECURRENCE.search(text)
    if rec:
        recurrence = rec.group(0)
        text_wo = text[: rec.start()] + "　" * len(rec.group(0)) + text[rec.end():]
    else:
        text_wo = text
    start: datetime | None = None
    raw_parts: list[str] = []
    m_abs = _ABS_DATE.search(text_wo)
    m_rel = _REL_DAY.search(text_wo)
    day_span: tuple[int, int] | None = None
    if m_abs and (not m_rel or m_abs.start() <= m_rel.start()):
        year = int(m_abs.group(1)) if m_abs.group(1) else now.year
        try:
            start = datetime(year, int(m_abs.group(2)), int(m_abs.group(3)), tzinfo=now.tzinfo)
            if not m_abs.group(1) and start > now:
                start = start.replace(year=year - 1)  # "3月5日" said in February means last year's
        except ValueError:
            start = None
        day_span = m_abs.span()
    elif m_rel:
        start = _day(m_rel.group(0), now)
        day_span = m_rel.span()
    tod = None
    search_from = day_span[1] if day_span else 0
    cand = _TIME_OF_DAY.search(text_wo, search_from)
    if cand and (day_span is None or cand.start() - day_span[1] <= 4):
        tod = cand
    if day_span:
        raw_parts.append(text_wo[day_span[0]: tod.end() if tod else day_span[1]])
    elif tod:
        raw_parts.append(tod.group(0))
    if tod is not None:
        hour = cn_number(tod.group(2))
        if hour is not None and hour <= 24:
            part = tod.group(1)
            if part is None and day_span and text_wo[day_span[0]: day_span[1]] in ("昨晚", "今晚", "昨夜"):
                part = "晚上"
            minute = 30 if tod.group(3) == "半" else (cn_number(tod.group(4)) or 0 if tod.group(4) else 0)
            base = start or now.replace(hour=0, minute=0, second=0, microsecond=0)
            start = base.replace(hour=_hour(part, hour) % 24, minute=min(minute, 59), second=0, microsecond=0)
            if day_span is None and start > now:
                start -= timedelta(days=1)  # "凌晨两点" without a day is the most recent one
    raw = raw_parts[0].strip() if raw_parts else None
    if raw is None and recurrence:
        raw = recurrence
    return TimeFacts(raw=raw, start=start, recurrence=recurrence)
