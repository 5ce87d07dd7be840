"""A generated request stream: ten weeks of ordinary traffic, optionally with planted signals in week ten.

Every text is written here (no shared data). Planted, all in the window 2025-03-10 … 2025-03-16:
- hot spot: 金桂苑小区 (海淀区) draws six requests about different problems;
- surge: 交通运输 in 朝阳区, fourteen bike-parking requests spread over many places (baseline ≈ 0.3 a week);
- danger: gas smell at 槐荫里社区 (丰台区), three requests, and loose facade tiles at 富力花园 (通州区), two —
  worded without the emergency words, so no single one is an emergency;
- new topic (四首): power-bank deposits not refunded, five requests, a topic the history never had.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.analytics.records import BEIJING

START = date(2025, 1, 6)  # a Monday
WEEKS = 10
WINDOW = (date(2025, 3, 10), date(2025, 3, 16))

DISTRICTS = {
    "朝阳区": ["三里屯街道", "东湖街道", "亚运村街道"],
    "海淀区": ["中关村街道", "上地街道", "万寿路街道"],
    "丰台区": ["丰台街道", "云岗街道", "六里桥街道"],
    "西城区": ["什刹海街道", "天桥街道", "展览路街道"],
    "东城区": ["东四街道", "东直门街道", "交道口街道"],
    "通州区": ["中仓街道", "北苑街道", "九棵树街道"],
}
ESTATE_HEADS = ["安华", "和平", "育新", "锦秀", "青塔", "丽泽", "芳城", "双桥", "金台", "望春", "松榆", "玉桥",
                "翠微", "惠新", "南湖", "北沙", "荣丰", "康乐", "华威", "建欣"]
ESTATE_TAILS = ["家园", "小区", "嘉园", "新村"]
ROADS = ["建国路", "学清路", "莲花池东路", "德外大街", "新华大街", "广渠路", "北辰东路", "玉泉路", "万丰路", "通惠北路"]

# (first level, second level, templates); {p} is a community, {r} a road.
BACKGROUND = [
    ("环境保护", "噪声扰民", ["{p}楼下的商铺每天晚上放音乐到十一点，吵得老人睡不着",
                          "{p}旁边工地夜里还在打桩，噪音太大，希望管一管", "{p}广场舞音响声音太大，影响孩子写作业"]),
    ("城乡建设", "物业管理", ["{p}物业服务太差，楼道好几周没人打扫", "{p}物业擅自涨价，业主没有同意",
                          "{p}的物业不给修门禁，外人随便进出"]),
    ("城乡建设", "冬季采暖", ["{p}家里暖气不热，屋里只有十六度", "{p}今年供暖一直不达标，老人冻得感冒"]),
    ("城乡建设", "市政设施", ["{r}人行道的砖松了一大片，走路容易绊倒", "{r}有一段路灯不亮，晚上黑漆漆的",
                          "{r}路面坑坑洼洼，下雨就积水"]),
    ("城乡建设", "环境卫生", ["{p}垃圾桶满了好几天没人清运，味道很大", "{r}路边有人乱扔建筑垃圾没人管"]),
    ("交通运输", "公共交通", ["{r}的公交车要等半个多小时才来一辆", "希望在{r}增设一个公交站，附近居民出行不便"]),
    ("交通运输", "共享单车与停车", ["{r}的共享单车停得太乱，挡住了人行道", "{p}门口共享单车越来越多，希望规范停放"]),
    ("劳动和社会保障", "社会保险", ["请问社保断缴了半年还能补缴吗", "灵活就业人员的养老保险在哪里办理"]),
    ("政法", "户籍证件", ["孩子上户口需要准备哪些材料", "请问身份证丢了异地可以补办吗"]),
    ("教育文体", "入学与学位", ["{p}的孩子上小学划片在哪个学校", "今年幼儿园报名什么时候开始"]),
    # Near misses: the hazards' words in ordinary requests.
    ("城乡建设", "燃气供应", ["请问燃气费可以在手机上缴纳吗", "燃气表的电池没电了去哪里换",
                          "天然气开户需要带房产证吗"]),
    ("政法", "交通管理", ["{p}的消防通道总被私家车占着，物业也不管"]),
    ("卫生计生", "食品药品监管", ["开一家小吃店要办什么食品经营许可证"]),
]

HOTSPOT = ("海淀区", "中关村街道", "金桂苑小区", [
    ("城乡建设", "物业管理", "海淀区中关村街道金桂苑小区3号楼的电梯坏了一个星期，物业一直不修"),
    ("城乡建设", "自来水供应", "金桂苑小区这两天停水也不提前通知，全楼都没水用"),
    ("城乡建设", "物业管理", "我住金桂苑小区5号楼，楼顶漏水漏到家里，找物业没人管"),
    ("环境保护", "噪声扰民", "金桂苑小区里的健身器材半夜还有人用，咣咣响"),
    ("城乡建设", "环境卫生", "海淀区金桂苑小区垃圾站臭气熏天，一周才清一次"),
    ("城乡建设", "物业管理", "金桂苑小区的地下车库积水很深，车都开不进去"),
])
SURGE_TEXTS = ["{r}边上共享单车堆成山，把盲道都堵了", "{p}门口的共享单车乱停乱放，出门都走不过去",
               "{r}地铁口共享单车太多，人车混杂很危险", "共享单车把{p}的消防通道都占了，请清理",
               "{p}附近的单车没人管理，东倒西歪"]
GAS = ("丰台区", "云岗街道", "槐荫里社区", [
    "丰台区槐荫里社区2号楼楼道里一股臭鸡蛋的味道，好像是天然气漏了",
    "槐荫里社区这几天总能闻到煤气味，邻居们都很担心管道漏气",
    "我家在槐荫里社区，厨房燃气管接口有嘶嘶声，味道很冲",
])
FALLING = ("通州区", "北苑街道", "富力花园", [
    "通州区富力花园8号楼外墙的瓷砖一块块往下掉，下面就是人行道",
    "富力花园楼上外立面的砖掉下来砸坏了一辆车，差点砸到人",
])
NEW_TOPIC = ["租了共享充电宝已经归还了，押金九十九元一直不退", "共享充电宝归还后还在计费，押金也退不了",
             "商场里借的充电宝还了，APP显示未归还，扣了押金", "充电宝押金申请退款半个月还没到账",
             "共享充电宝公司客服电话打不通，押金不退"]


@dataclass
class Row:
    """One generated request (the JSONL fields plus the truth)."""

    id: str
    time: datetime
    title: str
    text: str
    district: str
    street: str
    category_l1: str
    category_l2: str
    planted: str | None = None

    def jsonl(self) -> dict:
        """The import file's line (the category is given, as a city's history would have it)."""
        return {"id": self.id, "time": self.time.isoformat(), "title": self.title, "text": self.text,
                "category": f"{self.category_l1}/{self.category_l2}"}


def _when(rng: random.Random, week: int, day: int | None = None) -> datetime:
    d = START + timedelta(weeks=week, days=rng.randrange(7) if day is None else day)
    return datetime(d.year, d.month, d.day, rng.randrange(7, 22), rng.randrange(60), tzinfo=BEIJING)


def stream(*, planted: bool, seed: int = 11, per_week: int = 20) -> list[Row]:
    """Ten weeks of background traffic, and the planted signals when `planted`."""
    rng = random.Random(seed)
    rows: list[Row] = []
    n = 0

    def add(week: int, district: str, street: str, l1: str, l2: str, text: str, kind: str | None,
            day: int | None = None) -> None:
        nonlocal n
        n += 1
        title = text[:12].rstrip("，。")
        rows.append(Row(f"r{n:04d}", _when(rng, week, day), title, text, district, street, l1, l2, kind))

    estates = [h + t for h in ESTATE_HEADS for t in ESTATE_TAILS]
    for week in range(WEEKS):
        for _ in range(per_week):
            district = rng.choice(list(DISTRICTS))
            street = rng.choice(DISTRICTS[district])
            l1, l2, templates = rng.choice(BACKGROUND)
            text = rng.choice(templates).format(p=rng.choice(estates), r=rng.choice(ROADS))
            add(week, district, street, l1, l2, f"{district}{street}{text}" if rng.random() < 0.5 else text, None)
    if planted:
        last = WEEKS - 1
        district, street, _, items = HOTSPOT
        for l1, l2, text in items:
            add(last, district, street, l1, l2, text, "hotspot")
        for i in range(14):
            text = SURGE_TEXTS[i % len(SURGE_TEXTS)].format(p=estates[(i * 7) % len(estates)], r=ROADS[i % len(ROADS)])
            add(last, "朝阳区", DISTRICTS["朝阳区"][i % 3], "交通运输", "共享单车与停车", f"朝阳区{text}", "surge")
        for kind, (district, street, _, texts) in (("danger-gas", GAS), ("danger-falling", FALLING)):
            for text in texts:
                add(last, district, street, "城乡建设", "燃气供应" if kind == "danger-gas" else "物业管理", text, kind)
        for text in NEW_TOPIC:
            district = rng.choice(list(DISTRICTS))
            add(last, district, DISTRICTS[district][0], "商贸旅游", "消费纠纷", text, "new-topic")
    rows.sort(key=lambda r: r.time)
    return rows
