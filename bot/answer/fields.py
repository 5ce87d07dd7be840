"""The fields a service item's guide states, each with its label first and then other names for it.

These describe the fields, not ways of asking; question.py matches the rest of a question against them and
align.py does not count a field's own words as part of an item's name.
"""

from __future__ import annotations

# Each field's label first, then other names for it. These describe the fields, not ways of asking.
FIELDS: dict[str, tuple[str, ...]] = {
    "phone": ("咨询电话", "联系电话", "电话号码", "服务热线", "联系方式"),
    "location": ("办理地点", "办理地址", "在哪里办", "哪个窗口", "什么地方"),
    "dept": ("实施主体", "负责部门", "主管单位", "哪个部门负责", "归谁管"),
    "time": ("办结时限", "办理时限", "需要多长时间", "几个工作日", "多少天"),
    "when": ("时间安排", "什么时候", "日期", "开始时间"),
    "fee": ("收费标准", "费用", "多少钱", "是否收费", "免费"),
    "materials": ("申请材料", "所需材料", "需要的证件", "准备什么资料", "证明文件"),
    "eligibility": ("申请条件", "受理条件", "适用对象", "什么人可以申请", "资格要求"),
    "procedure": ("办理流程", "办理步骤", "怎么办理", "手续", "办理程序"),
    "online": ("网上办理", "线上申请", "在线办理", "手机App办理", "网上预约"),
}


def is_field_word(word: str) -> bool:
    """A word of two or more characters that is part of some field's name ("材料", "线上", "号码")."""
    return len(word) >= 2 and any(word in name for names in FIELDS.values() for name in names)
