"""What a question asks (a phone, a place, materials…) and what it is about (its key entity)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Ordered: the first kind whose pattern matches wins ("在哪里打电话" is a phone question).
KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("phone", re.compile(r"电话|热线|号码|联系方式|怎么联系|打哪个")),
    ("materials", re.compile(r"材料|带什么|带哪些|准备什么|准备哪些|需要提供|提交什么|提交哪些|证件")),
    ("time", re.compile(r"多久|多长时间|几天|时限|办结|多少天|期限|什么时候能|多快|时长|几个工作日")),
    ("when", re.compile(r"什么时候|何时|哪天|几月|几号|什么时间|开始时间|截止")),
    ("fee", re.compile(r"收费|费用|多少钱|要钱|免费|交多少|缴多少|标准是多少")),
    ("location", re.compile(r"哪里办|在哪|哪儿|什么地方|地点|地址|去哪|窗口|何处")),
    ("dept", re.compile(r"哪个单位|哪个部门|什么部门|哪个机构|谁负责|归谁|负责单位|主管部门|实施主体|谁管|哪个部门管")),
    ("online", re.compile(r"网上|线上|在线|预约|快递|邮寄|平台|app|APP|小程序")),
    ("eligibility", re.compile(r"条件|资格|能不能|可不可以|能否|是否可以|符合|哪些人|谁可以|适用")),
    ("procedure", re.compile(r"怎么办|如何办|怎么申请|如何申请|流程|步骤|程序|怎么弄|手续|怎样办|办理方式|怎么")),
]

# Question scaffolding that says what is asked, not what it is about.
_SCAFFOLD = re.compile(
    r"(请问|我想问一下|我想问|想问一下|想问|我想咨询一下|我想咨询|想咨询一下|想咨询|咨询一下|你好|您好|麻烦问一下|"
    r"打哪个电话|的?咨询电话是多少|的?电话是多少|电话多少|联系电话|咨询电话|"
    r"需要准备哪些材料|需要准备什么材料|要准备哪些材料|要带什么材料|要带哪些材料|需要带什么材料|需要什么材料|需要哪些材料|"
    r"需要提供哪些材料|需要提供什么|要提交什么材料|需要带什么|要带什么|"
    r"的?承诺办结时限是几天|的?办结时限是多少|办结时限|多久能办完|多久能办好|多长时间能办好|要多长时间|需要多久|多久|几天能办好|"
    r"在哪里办理|在哪办理|在哪里办|在哪儿办|要去什么地方办|去什么地方办|去哪里办|去哪办|在什么地方办理|地点在哪里|地址在哪里|在哪里|在哪|"
    r"由哪个单位负责|归哪个部门管|哪个部门负责|哪个单位负责|由哪个部门负责|是哪个部门|找哪个部门|谁负责|"
    r"怎么办理|如何办理|怎样办理|怎么申请|如何申请|怎么办|怎么弄|办理流程|流程是什么|"
    r"收费吗|要收费吗|收多少钱|多少钱|费用是多少|"
    r"需要什么条件|有什么条件|什么条件|能不能办|可以办吗|"
    r"是什么|有哪些|是多少|吗|呢|呀|啊)"
)
_EDGE_VERBS = re.compile(r"^(办理|申请|申领|查询|咨询|关于|我要|我想|想要|需要|要)+|(的|办理|申请)+$")
_PUNCT = re.compile(r"[？?！!。，,、；;：:\s“”\"'（）()《》]+")
# A follow-up leans on the previous question ("那需要带什么材料？", "这个在哪办？").
_FOLLOW_UP_LEAD = re.compile(r"^(那|那么|那这个|这个|它|还有|另外|再问一下|还要|还需要|那要|那我|那如果)")


@dataclass(frozen=True)
class Question:
    """A parsed question."""

    text: str
    kind: str
    entity: str


def question_kind(text: str) -> str:
    """The kind of fact asked for, or "general". The ending decides first: in "…窗口地址查询由哪个单位负责？"
    the subject mentions an address, but the question asks for a department."""
    for part in (text.rstrip("？?。！! ")[-9:], text):
        for kind, pattern in KIND_PATTERNS:
            if pattern.search(part):
                return kind
    return "general"


def key_entity(text: str) -> str:
    """What the question is about, with question scaffolding stripped ("居住证怎么办理？" → "居住证")."""
    stripped = _SCAFFOLD.sub(" ", text)
    parts = [p for p in _PUNCT.split(stripped) if p]
    entity = "".join(_EDGE_VERBS.sub("", p) for p in parts)
    return entity.strip()


def parse(text: str) -> Question:
    """Kind and entity of one question."""
    return Question(text=text, kind=question_kind(text), entity=key_entity(text))


def is_follow_up(text: str) -> bool:
    """True when the question names nothing of its own and leans on the previous one."""
    entity = key_entity(text)
    return bool(_FOLLOW_UP_LEAD.match(text.strip())) or len(entity) <= 1


def resolve_follow_up(text: str, history: list[str]) -> str:
    """Attach the previous question's subject to a follow-up; other questions pass unchanged."""
    if not history or not is_follow_up(text):
        return text
    for previous in reversed(history):
        subject = key_entity(previous)
        if len(subject) >= 2:
            return f"{subject} {_FOLLOW_UP_LEAD.sub('', text.strip())}"
    return text


_CLAUSE = re.compile(r"[。！？!?；;\n，,]|另外|还有|同时|顺便|此外")
_ASKS = re.compile(r"[？?]|怎么|如何|怎样|哪里|哪儿|哪些|哪个|什么|多少|多久|几天|能否|能不能|可不可以|是否|吗|呢|请问|想问|咨询")


def question_part(text: str) -> str:
    """From a message that both asks and complains, the clauses that ask ("我想问公积金怎么提取，另外单位欠薪" →
    "我想问公积金怎么提取"); the whole text when no clause asks or every clause does."""
    clauses = [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]
    asking = [c for c in clauses if _ASKS.search(c)]
    if not asking or len(asking) == len(clauses):
        return text
    return "，".join(asking)
