"""The text tools agree on what a phone, a ticket number and a sentence are, wherever they are used."""

from __future__ import annotations

from bot.intake.contact import find_phones
from bot.textkit import TICKET_NO, has_cjk, is_emoji_only, sentences


def test_contact_extraction_reads_a_phone_in_any_spacing() -> None:
    for written in ("138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "8613812345678", "１３８１２３４５６７８"):
        assert find_phones(f"我的电话{written}，住6号院") == ["13812345678"], written


def test_house_numbers_and_id_numbers_are_not_phones() -> None:
    assert find_phones("阜通东大街6号院3号楼2单元501室") == []
    assert find_phones("身份证110105199001011234") == []


def test_ticket_numbers_sentences_and_emoji() -> None:
    assert [m.group(1) for m in TICKET_NO.finditer("工单20261202153000，另一个 202612021530001")] == ["20261202153000"]
    assert sentences("楼下着火了！烟很大。\n快来") == ["楼下着火了！", "烟很大。", "快来"]
    assert has_cjk("ok 好") and not has_cjk("ok")
    assert is_emoji_only("👍🙏") and not is_emoji_only("好👍")
