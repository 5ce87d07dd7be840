"""Message types: what each WeChat message or event means for the dialogue, or the fixed answer it gets."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wechatpy.events import ClickEvent, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.messages import (
    BaseMessage,
    ImageMessage,
    LinkMessage,
    LocationMessage,
    TextMessage,
    UnknownMessage,
    VoiceMessage,
)
from wechatpy.parser import parse_message

from bot.models import Turn
from bot.tickets.models import Attachment, Location

SESSION_PREFIX = "wechat:"

# Menu CLICK keys; docs/wechat.md shows the menu that sends them. The Chinese labels are accepted too.
MENU_CONSULT = "MENU_CONSULT"
MENU_REPORT = "MENU_REPORT"
MENU_PROGRESS = "MENU_PROGRESS"
_MENU_ALIASES = {"政策咨询": MENU_CONSULT, "我要反映": MENU_REPORT, "进度查询": MENU_PROGRESS}

# What a progress-query click says to the dialogue, as if the citizen had typed it.
PROGRESS_QUERY_TEXT = "查询我的工单办理进度"

CONSULT_PROMPT = "请直接输入您想咨询的政策问题，例如：“居住证怎么办理？”“公积金怎么提取？”我会根据政策文件为您解答。"
REPORT_PROMPT = (
    "请描述您要反映的问题：发生了什么、在哪里、什么时间。\n"
    "您可以点击输入框旁的“+”发送位置，也可以发送现场图片作为补充。"
)
VOICE_UNRECOGNISED = "抱歉，这条语音暂时无法识别。请改用文字描述您的问题，谢谢。"
EMPTY_TEXT = "您好，请输入您要咨询或反映的问题。"
BAD_LOCATION = "抱歉，未能读取这条位置信息。请重新发送位置，或用文字说明具体地点。"
UNSUPPORTED = "抱歉，暂不支持这类消息。请用文字描述您的问题，也可以发送图片或位置。"
UNKNOWN_MENU = "抱歉，该功能暂未开放。您可以直接输入要咨询或反映的问题。"


def welcome_text(city: str) -> str:
    """The greeting on follow: what the bot can do and what it cannot."""
    return (
        f"您好，欢迎关注{city}12345市民服务热线！我是智能助手，可以帮您：\n"
        "1. 政策咨询：直接提问，如“居住证怎么办理？”\n"
        "2. 反映问题：说明发生了什么、在哪里，我会帮您登记工单，可附图片和位置；\n"
        "3. 进度查询：点击菜单“进度查询”或发送“查询进度”。\n"
        "如遇火警、治安、急救等紧急情况，请立即拨打119、110、120。"
    )


def too_long_text(length: int, limit: int) -> str:
    """Asks for a shorter message."""
    return f"消息过长（{length} 字），请精简到 {limit} 字以内，或分几次发送。"


@dataclass(frozen=True)
class Inbound:
    """One verified message: who sent it, its retry-proof identity, and what to do with it."""

    openid: str
    dedup_key: str
    kind: str
    received_at: datetime
    turn: Turn | None = None
    reply: str | None = None
    # Per WeChat's rules, messages, menu clicks, follows and scans open the customer-service window.
    opens_window: bool = True
    subscribed: bool | None = None


def session_id_for(openid: str) -> str:
    """The dialogue session of one follower; namespaced so no web session id can collide with it."""
    return SESSION_PREFIX + openid


def openid_from_session(session_id: str) -> str:
    """The openid behind a WeChat session id (a bare openid passes through)."""
    return session_id.removeprefix(SESSION_PREFIX)


def dedup_key(message: dict[str, Any]) -> str:
    """MsgId for messages; sender, time and event for events (which carry no MsgId)."""
    msg_id = message.get("MsgId")
    if msg_id and msg_id != "0":
        return f"m:{msg_id}"
    parts = "|".join(str(message.get(k) or "") for k in ("FromUserName", "CreateTime", "Event", "EventKey"))
    return "e:" + hashlib.sha256(parts.encode()).hexdigest()[:40]


def interpret(message: dict[str, Any], xml: str, *, city: str, max_chars: int) -> Inbound:
    """Map a verified message dict (and its XML, for wechatpy's classes) to an `Inbound`."""
    parsed: BaseMessage = parse_message(xml)
    openid = message["FromUserName"]
    received_at = datetime.fromtimestamp(int(message["CreateTime"]), UTC)
    is_event = message["MsgType"].lower() == "event"
    if is_event:
        kind = f"event:{str(message.get('Event')).lower()[:30]}"
    elif isinstance(parsed, UnknownMessage):
        kind = f"unknown:{message['MsgType'][:20]}"
    else:
        kind = parsed.type
    base = {"openid": openid, "dedup_key": dedup_key(message), "kind": kind, "received_at": received_at}

    def turn(text: str = "", **extra: Any) -> Inbound:
        return Inbound(**base, turn=Turn(session_id=session_id_for(openid), text=text, channel="wechat",
                                         received_at=received_at, **extra))

    def answer(text: str | None, **extra: Any) -> Inbound:
        return Inbound(**base, reply=text, **extra)

    if isinstance(parsed, TextMessage):
        text = (parsed.content or "").strip()
        if not text:
            return answer(EMPTY_TEXT)
        if len(text) > max_chars:
            return answer(too_long_text(len(text), max_chars))
        return turn(text)
    if isinstance(parsed, VoiceMessage):
        # WeChat's speech recognition fills Recognition only when the account has it switched on.
        text = (parsed.recognition or "").strip()
        return turn(text[:max_chars]) if text else answer(VOICE_UNRECOGNISED)
    if isinstance(parsed, LocationMessage):
        location = _location(parsed)
        if location is None:
            return answer(BAD_LOCATION)
        # The label travels in location.raw; as text it would be read as a new message.
        return turn(location=location)
    if isinstance(parsed, ImageMessage):
        return turn(attachments=[Attachment(kind="image", url=parsed.image or None, media_id=parsed.media_id or None)])
    if isinstance(parsed, LinkMessage):
        return turn(attachments=[Attachment(kind="link", url=parsed.url or None, title=parsed.title or None)])
    if isinstance(parsed, SubscribeEvent | SubscribeScanEvent):
        return answer(welcome_text(city), subscribed=True)
    if isinstance(parsed, UnsubscribeEvent):
        return answer(None, opens_window=False, subscribed=False)
    if isinstance(parsed, ClickEvent):
        key = _MENU_ALIASES.get(parsed.key or "", parsed.key or "")
        if key == MENU_CONSULT:
            return answer(CONSULT_PROMPT)
        if key == MENU_REPORT:
            return answer(REPORT_PROMPT)
        if key == MENU_PROGRESS:
            return turn(PROGRESS_QUERY_TEXT)
        return answer(UNKNOWN_MENU)
    if is_event:
        # Receipts and background events (view, location report, template job finished): nothing to say.
        return answer(None, opens_window=kind in ("event:scan",))
    return answer(UNSUPPORTED)


def _location(message: LocationMessage) -> Location | None:
    try:
        latitude, longitude = float(message.location_x), float(message.location_y)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    label = (message.label or "").strip() or None
    return Location(raw=label, latitude=latitude, longitude=longitude)
