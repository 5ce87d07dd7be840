"""Masks personal data (phones, ID numbers, names after 我叫/姓, street addresses) before text is logged."""

from __future__ import annotations

import logging
import re

_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?\d{3,4}(\d{4})(?!\d)")
_NAME = re.compile(r"(我叫|我是|本人|姓名[:：]?|联系人[:：]?)([\u4e00-\u9fa5]{1,3})")
_HOUSE_NUMBER = re.compile(r"(\d+号楼|\d+栋|\d+单元|\d+号院|\d+室|\d+号)")


def mask_id_numbers(text: str) -> str:
    """Replace the middle of 18-digit ID numbers; used on text we keep as well as logs."""
    return _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)[:0]}****", text)


def mask_contact_numbers(text: str) -> str:
    """Mask phones and ID numbers only: for text people read (summaries), where house numbers, dates and
    amounts are facts of the case and must stay."""
    text = mask_id_numbers(text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1-****\2", text)


def mask(text: str) -> str:
    """Mask every kind of personal data we recognise; for logs."""
    text = mask_id_numbers(text)
    text = _MOBILE.sub(r"\1****\2", text)
    text = _LANDLINE.sub(r"\1-****\2", text)
    text = _NAME.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)
    return _HOUSE_NUMBER.sub("**", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal data in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with personal data masked."""
        record.msg = mask(record.getMessage())
        record.args = None
        return True
