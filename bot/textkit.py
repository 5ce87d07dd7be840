"""Chinese text tools used everywhere: sentences, phone and ID numbers, ticket numbers, emoji, jieba modes.

One place for the patterns, so the masker in logs, contact extraction, ticket look-up and message splitting
agree on what a phone number or a sentence is. Python's `\\d` already matches full-width digits (０-９); the
leading digits of a mobile are written out so "１３８ １２３４ ５６７８" is a phone too.
"""

from __future__ import annotations

import re
import unicodedata

# --- sentences -------------------------------------------------------------------------------------
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def sentences(text: str) -> list[str]:
    """Split Chinese text into sentences, keeping the end punctuation."""
    return [s.strip() for s in SENTENCE_END.split(text or "") if s.strip()]


# --- phones and ID numbers ---------------------------------------------------------------------------
_SEP = r"[-\s\u2010-\u2015\uFF0D.·]?"
# 11-digit mobiles start 1[3-9]; optional +86 / 86 / 0086 prefix; groups 3-4-4 with an optional separator.
MOBILE = re.compile(
    r"(?<![\dA-Za-z])((?:(?:\+|＋|00|００)?[8８][6６][-\s]?)?[1１][3-9３-９]\d)" + _SEP + r"(\d{4})" + _SEP
    + r"(\d{4})(?![\dA-Za-z])")
# Landlines: area code 0xx(x), then 7-8 digits, optionally split, optionally with the area code in brackets.
LANDLINE = re.compile(r"(?<!\d)[(（]?([0０]\d{2,3})[)）]?" + _SEP + r"(\d{3,4})" + _SEP + r"(\d{4})(?!\d)")
# 18-digit resident ID numbers, 6-8-4, with an optional space or hyphen between the parts.
ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{6})[-\s]?(\d{8})[-\s]?(\d{3}[\dXx])(?![\dA-Za-z])")
TICKET_NO = re.compile(r"(?<!\d)(\d{14})(?!\d)")


def normalize_digits(text: str) -> str:
    """Full-width digits and plus signs as ASCII (NFKC on those characters only)."""
    return "".join(unicodedata.normalize("NFKC", ch) if "０" <= ch <= "９" or ch == "＋" else ch for ch in text)


def phone_digits(match: re.Match[str]) -> str:
    """The phone of a MOBILE match as 11 ASCII digits (country code dropped)."""
    digits = re.sub(r"\D", "", normalize_digits(match.group(0)))
    return digits[-11:]


def mask_phones(text: str) -> str:
    """Mobiles as 138****5678 and landlines as 010-****5678, whatever their separators."""
    text = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_id_numbers(text: str) -> str:
    """The first six digits (region) kept, the rest masked."""
    return ID_NUMBER.sub(lambda m: f"{m.group(1)}************", text)


# --- scripts and emoji --------------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")


def has_cjk(text: str) -> bool:
    """True when the text contains any Chinese character."""
    return bool(CJK.search(text))


def is_emoji_only(text: str) -> bool:
    """True when the text is nothing but emoji, symbols and spaces."""
    stripped = EMOJI.sub("", text)
    return bool(text.strip()) and not re.search(r"[\w\u4e00-\u9fff]", stripped)


# --- jieba modes ---------------------------------------------------------------------------------------
def tokens(text: str) -> tuple[str, ...]:
    """Search-mode content tokens (BM25); see bot.text."""
    from bot.text import tokens as _tokens

    return _tokens(text)


def words(text: str) -> tuple[str, ...]:
    """Precise-mode content words; see bot.text."""
    from bot.text import words as _words

    return _words(text)
