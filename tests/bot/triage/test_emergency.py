"""Emergencies: 100% recall on our list; near-emergencies measured as false alarms (kept low, reported)."""

from __future__ import annotations

import pytest

from bot.triage.emergency import emergency_reply, load_detector

EMERGENCIES = [
    ("楼下着火了，火很大！", "119"), ("我家厨房起火了", "119"), ("对面楼冒黑烟了，好像是窗户里", "119"),
    ("地下室着火冒黑烟了", "119"), ("小区配电室爆炸了", "119"),
    ("家里闻到很浓的煤气味", "119"), ("天然气泄漏了，整个楼道都是味道", "119"), ("燃气管道漏气了，嘶嘶响", "119"),
    ("我被困在电梯里了", "119"), ("电梯困人了，里面有个老人", "119"), ("孩子被锁在车里出不来了", "119"),
    ("有人在小区门口打架，拿着刀", "110"), ("楼下有人正在抢劫", "110"), ("邻居正在家暴，女人在喊救命", "110"),
    ("看到有人撬门进了邻居家", "110"), ("有人持刀威胁店员", "110"), ("一个男的在街上砍人", "110"),
    ("我爸晕倒了叫不醒", "120"), ("老人摔倒了起不来，头在流血", "120"), ("同事突然抽搐口吐白沫", "120"),
    ("有人倒在路边没有呼吸了", "120"), ("孩子吃错药中毒了", "120"), ("工地有工人从架子上摔下来受伤了", "120"),
    ("路口刚发生车祸，有人受伤", "122"), ("一辆车撞人了就在我面前", "122"), ("高速上翻车了", "122"),
    ("有人站在楼顶说要跳楼", "110"), ("小孩掉进小区的水池里了", "110"), ("孩子找不到了，在商场走丢的", "110"),
    ("有人落水了，在河中间挣扎", "110"), ("我不想活了", "110"), ("老人走失了，有老年痴呆", "110"),
    ("救命，楼道着火了", "119"), ("现在有人在我家门口打架", "110"),
]

NEAR_EMERGENCIES = [
    "上周小区着火的事情，物业到现在也没给个说法", "消防通道被电动车堵住了", "燃气费在哪里交？",
    "去年车祸受伤的赔偿到现在还没拿到", "工伤认定需要多长时间？", "120急救车收费太贵了",
    "小区的消防栓被埋在绿化带里，存在安全隐患", "关于冬季防火的宣传资料在哪里领？",
    "3月5日吃饭后腹泻，怀疑食物中毒", "楼道里堆了很多纸箱，有火灾隐患", "燃气公司上门安检收费不合理",
    "被噪音困扰很久了", "孩子在学校受伤后学校不赔偿", "电梯经常坏，存在安全隐患", "我想咨询火灾保险怎么理赔",
    "小区门口的火锅店油烟太大", "暖气不热，家里老人冻感冒了", "上个月小区有人打架，派出所处理了",
    "希望加强消防宣传演练", "车祸以后交警的事故认定书什么时候出",
]


@pytest.fixture(scope="module")
def detector():  # noqa: ANN201
    return load_detector()


def test_every_emergency_is_caught_with_the_right_number(detector) -> None:  # noqa: ANN001
    missed = [t for t, _ in EMERGENCIES if detector.detect(t) is None]
    assert missed == []
    wrong = [(t, n) for t, n in EMERGENCIES if n not in detector.detect(t).numbers]
    assert wrong == []


def test_false_alarms_on_near_emergencies_are_reported(detector, record_property) -> None:  # noqa: ANN001
    alarms = [t for t in NEAR_EMERGENCIES if detector.detect(t) is not None]
    record_property("emergency_false_alarms", f"{len(alarms)}/{len(NEAR_EMERGENCIES)}: {alarms}")
    # Recall comes first, so a few false alarms are acceptable; a flood of them is not.
    assert len(alarms) <= 2, alarms


def test_reply_is_short_and_names_the_number(detector) -> None:  # noqa: ANN001
    hit = detector.detect("厨房着火了")
    reply = emergency_reply(hit)
    assert "119" in reply and len(reply) < 120 and "？" not in reply
