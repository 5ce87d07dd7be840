"""The citizen chat API: one turn of one session per call."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from bot.models import Reply, Turn
from connectors.web.deps import RuntimeDep

router = APIRouter(prefix="/api", tags=["chat"])


class ChatRequest(BaseModel):
    """A citizen's message."""

    session_id: str = Field(min_length=1, max_length=200)
    text: str


@router.post("/chat", response_model=Reply)
def chat(body: ChatRequest, runtime: RuntimeDep) -> Reply:
    """Answer, ask for a missing fact, read back a ticket, or submit it."""
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "消息内容为空，请输入您要咨询或反映的问题。")
    limit = runtime.settings.max_message_chars
    if len(text) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"消息过长（{len(text)} 字），请精简到 {limit} 字以内，或分几次发送。")
    return runtime.dialog.handle(Turn(session_id=body.session_id, text=text, channel="web"))
