"""Immediacy and negation cues for emergency detection: is the danger happening now, or is it past, a hazard
to fix, a question about a service, or a figure of speech?

Each cue is a small family of patterns whose match count becomes one feature of the learnt detector; the
weights are learnt, so no cue decides on its own. Cues name grammar and discourse (time, questions, requests),
not hazards, so they carry over to hazard kinds the detector never saw.
"""

from __future__ import annotations

import re

import numpy as np

CUES: dict[str, str] = {
    # The event is over or in the past.
    "past": r"(昨天|前天|昨晚|上周|上个?月|去年|前年|前几天|前段时间|那天|当时|以前|之前|曾经|几年前|上次|那次|那年|过[了]?[一二两三四五六七八九十几]+(天|周|个月|年))",
    "resolved": r"(已经|早就|都)(修好|处理|解决|结束|出院|找到|扑灭|灭了|没事|好了|恢复|赔)|(现在|目前)(已经)?没事|幸好|幸亏|还好没",
    # A question about a service, a fee, a procedure or a place.
    "service": r"(收费|费用|多少钱|怎么(办|交|申请|报|赔|预约|补办|查|处理|举报|投诉)|如何|流程|材料|报销|赔偿|理赔|保险|补贴|补助|政策|"
               r"鉴定|认定|在哪(里|儿)?|哪个部门|找谁|电话是?多少|热线|营业|开放时间|几点|能不能|可不可以|是否)",
    "question": r"([吗呢么][？?]?$|[？?])",
    # A hazard to fix, a request to manage it, or a worry about what might happen.
    "fix": r"(隐患|希望|建议|整改|排查|管一?管|修一?修|维修|报修|加装|治理|清理|检查|万一|担心|会不会|容易|老是|经常|天天|总是|一直没人)",
    "info": r"(宣传|演练|演习|培训|知识|科普|电视|电影|小说|游戏|新闻|规划|公示)",
    # Figures of speech: "气死我了", "笑死", "想打人".
    "figure": r"([气笑累烦困饿吓急]死|想死|[想要]打人|[想要]揍|火冒三丈|上火|崩了|心态|压力|哈哈|[被让]\S{0,4}(电到|困住|困扰))",
    # Happening now, someone hurt or unable to get out.
    "now": r"(现在|正在|刚刚|刚才|突然|一下子|马上|赶紧|快来|救命|还在|一直在|眼看|越来越|了[！!]|快(不行|要|沉|倒|塌|没))",
    "harm": r"(血|不动|动不了|叫不醒|不说话|说不出话|没(有)?呼吸|喘不(上|过)|憋|晕|昏|抽|倒在|倒地|压着|压住|埋|卡在|卡住|出不去|出不来|"
            r"打不开|下不去|困|挣扎|沉下|掉下去|掉进|被(砸|撞|打|捅|砍|咬|电|烫|埋|压|卷)|砸到|撞到|撞倒|刮倒|带倒)",
    "people": r"(有人|人还|老人|孩子|小孩|宝宝|女儿|儿子|孙子|孙女|我爸|我妈|老伴|老公|媳妇|老婆|同事|室友|朋友|工人|司机|路人|里面还?有人|人在里面)",
}
_COMPILED = {name: re.compile(p) for name, p in CUES.items()}
NAMES = tuple(CUES)


def cue_counts(text: str) -> dict[str, int]:
    """How often each cue occurs in the text."""
    return {name: len(p.findall(text)) for name, p in _COMPILED.items()}


def cue_features(texts: list[str]) -> np.ndarray:
    """One row per text: each cue's count, capped at 2, and the text's length band."""
    rows = []
    for text in texts:
        counts = cue_counts(text)
        rows.append([min(counts[n], 2) / 2 for n in NAMES] + [min(len(text), 120) / 120])
    return np.asarray(rows, dtype=np.float32)
