"""Request type (intent) by rules: what the citizen wants, and whether they ask, complain, or both."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATUS = re.compile(
    r"(工单|诉求|单子|反映的(问题|事)|投诉的(事|问题)|举报的(事|问题)|报的(事|问题)).{0,12}"
    r"(到哪|进度|怎么样了|有结果|处理了没|处理得怎么样|办得怎么样|什么时候(处理|解决|办)|有没有人(管|处理)|办理情况|处理到)"
    r"|(查询|查一下|查查|看看)(我的)?(工单|进度|办理情况|处理情况)|我的工单|工单号"
)
_PRAISE = re.compile(r"(^(谢谢|感谢)(你们|您|政府|热线|工作人员)|表扬|点赞|锦旗|特此感谢|非常感谢|衷心感谢|由衷感谢|真心(感谢|谢谢)|辛苦了|为.{1,10}点赞|值得表扬)")
_SUGGESTION = re.compile(r"(建议|提议|倡议|呼吁|能否(增设|增加|开通|延长)|希望(能|可以)?(增设|增加|开通|延长|设置|规划)|盼(尽快)?(取消|增设|出台))")
_REPORT = re.compile(r"(举报|检举|揭发|实名反映|偷排|盗采|盗伐|偷倒|乱倒|非法|违法|违规|违章|私自|冒用|侵权|传销|无证|黑诊所|贿|贪污|挪用)")
_COMPLAINT = re.compile(
    r"(投诉|扰民|不作为|推诿|太差|恶劣|不管|没人管|无人管|乱收费|拖欠|欠薪|克扣|严重|受不了|忍受|影响.{0,4}(休息|生活|出行)|"
    r"不合理|不公平|刁难|强制|霸王|不给|拒绝|至今|迟迟|一直没|多次反映|屡次|坏了|不亮|堵|漏水|渗水|停水|停电|噪音|噪声|油烟|臭|"
    r"脏|乱|占用|占道|违停|污染|骗|欺诈|不退|失联|跑路|不发|没发|没有发|难|慢|贵)"
)
_HELP = re.compile(r"(求助|帮帮|帮忙|帮助|救救|怎么办(?!理)|请求解决|恳请|求求|请求政府|请政府|希望政府|请有关部门|请相关部门|请.{0,6}(处理|解决|查处|督促|协调|管一管))")
_CONSULT = re.compile(
    r"(请问|咨询|想了解|想问|问一下|问问|了解一下|怎么办理|如何办理|怎么申请|如何申请|在哪里?(办|申请|开|查|交)|哪里可以|哪个部门|"
    r"需要(什么|哪些)|要带什么|什么材料|什么条件|多少钱|多长时间|什么时候|是否|能不能|可不可以|可以吗|能否|有没有.{0,10}(政策|补贴|规定)|"
    r"吗[？?。]?$|吗？|\?|？)"
)
_QUESTION_SENTENCE = re.compile(r"(^(请问|咨询|想问|问一下|想了解)|[吗呢][？?。]?$|[？?]$)")
_GREETING = re.compile(r"^(你好|您好|在吗|在不在|hi|hello|喂|哈喽|早上好|晚上好|下午好|谢谢|好的|嗯|ok)[！!。.，,~ ]*$",
                       re.IGNORECASE)
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会)(你)?(之前|以上|前面|上面|所有|全部)?的?(指令|指示|提示|规则|设定|要求)|"
    r"ignore (all |any )?(the )?(previous|prior|above) (instructions|prompts?)|system prompt|系统提示词|提示词|"
    r"你现在是|假装你是|扮演|开发者模式|"
    r"把(分类|类别|类型|工单|诉求|紧急程度).{0,8}(改成|改为|设为|设置为|换成)|"
    r"(告诉|显示|列出|透露|发给|给)我?.{0,6}(别人|其他人|所有人|其他用户|其他市民|全部|所有)的?(工单|电话|手机号|信息|诉求|记录|地址)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IntentResult:
    """The primary intent, and whether the message asks a question and/or needs a ticket."""

    intent: str
    asks_question: bool
    wants_intake: bool
    injection: bool = False


def states_problem(text: str) -> bool:
    """A complaint word in a sentence that is not itself a question: the citizen reports a problem."""
    for sentence in re.split(r"(?<=[。！？!?；;])", text):
        if sentence.strip() and not _QUESTION_SENTENCE.search(sentence) and _COMPLAINT.search(sentence):
            return True
    return False


def is_injection(text: str) -> bool:
    """True when the text tries to steer the bot (change its rules, category, or reveal others' data)."""
    return bool(_INJECTION.search(text))


def detect_intent(text: str, *, title: str | None = None) -> IntentResult:
    """Classify the request type; a message that both asks and complains gets both flags."""
    full = f"{title or ''}。{text}" if title else text
    stripped = full.strip()
    if not stripped or _GREETING.match(stripped):
        return IntentResult("other", False, False)
    injection = is_injection(stripped)
    if _STATUS.search(stripped):
        return IntentResult("status_query", False, False, injection)
    head = (title or "") + stripped[:80]
    praise = bool(_PRAISE.search(stripped))
    complaint = len(_COMPLAINT.findall(stripped))
    report = bool(_REPORT.search(head)) or "举报" in stripped
    suggestion = bool(_SUGGESTION.search(head))
    help_ = bool(_HELP.search(stripped))
    consult = bool(_CONSULT.search(stripped))
    if praise and complaint <= 1 and not report:
        return IntentResult("praise", False, True, injection)
    problem = complaint > 0 or report or help_
    if "举报" in head or (report and not suggestion and complaint <= 2 and not consult):
        intent = "report"
    elif suggestion and complaint <= 2:
        intent = "suggestion"
    elif consult and not problem:
        intent = "consult"
    elif consult and not help_ and not report and not states_problem(stripped):
        # "请问……吗？" with a complaint word inside the question is still a question first.
        intent = "consult"
    elif help_ and _HELP.match(stripped) and "投诉" not in stripped:
        intent = "help"  # "求助，……" opens with what the citizen wants
    elif "投诉" in stripped or complaint >= 1:
        intent = "complaint"
    elif help_:
        intent = "help"
    elif len(stripped) >= 8:
        intent = "complaint"
    else:
        intent = "other"
    wants_intake = intent in ("complaint", "report", "help", "suggestion") or (intent == "consult" and problem and complaint >= 2)
    asks_question = consult and intent in ("consult", "complaint", "help", "report")
    return IntentResult(intent, asks_question, wants_intake, injection)
