"""The masker hides every phone and ID number, however it is written, and nothing else."""

from __future__ import annotations

import logging
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.pii import MaskingFilter, mask, mask_contact_numbers
from bot.textkit import normalize_digits

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
separators = st.sampled_from(["", "-", " ", "－", "—", "."])
prefixes = st.sampled_from(["", "+86", "+86 ", "86", "0086", "86-"])
context = st.sampled_from(["阜通东大街6号院", "2024年3月5日", "300元", "花家地西里3号楼2单元501室", "下午3点", "第2次",
                           "我的电话是", "联系方式：", "请回电", "，", "。"])


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                          min_size=9, max_size=9)))
    a, b = draw(separators), draw(separators)
    written = draw(prefixes) + digits[:3] + a + digits[3:7] + b + digits[7:]
    if draw(st.booleans()):
        written = written.translate(FULL)
    return written, digits


def _digits(text: str) -> str:
    return re.sub(r"\D", "", normalize_digits(text))


@given(mobiles(), context, context)
def test_every_mobile_is_masked_and_the_rest_kept(phone: tuple[str, str], before: str, after: str) -> None:
    written, digits = phone
    after = "，" + after  # a phone run straight into other digits ("…56782024年") is not a phone
    kept = mask_contact_numbers(f"{before}{written}{after}")
    assert kept.startswith(before) and kept.endswith(after)
    masked = kept[len(before):len(kept) - len(after)]
    assert "****" in masked and _digits(masked).endswith(digits[:3] + digits[7:])
    assert digits not in _digits(mask(f"{before}{written}{after}"))


@given(context, context)
def test_house_numbers_dates_and_amounts_are_not_masked(a: str, b: str) -> None:
    assert mask_contact_numbers(a + b) == a + b


@given(st.sampled_from(["", " ", "-"]), st.sampled_from(["X", "1", "x"]))
def test_id_numbers_are_masked(sep: str, last: str) -> None:
    number = f"110105{sep}19900101{sep}123{last}"
    out = mask_contact_numbers(f"身份证号{number}，住6号院")
    assert "19900101" not in out and out.endswith("，住6号院") and "110105" in out


def test_landlines_and_the_log_filter() -> None:
    assert mask_contact_numbers("座机010-62345678") == "座机010-****5678"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "citizen %s", ("138 1234 5678",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "citizen 138****5678"
