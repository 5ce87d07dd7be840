"""Sessions: one turn at a time per session, race-free creation, and session ids kept apart by channel."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from bot.store.db import session_scope
from bot.store.tables import ChatSession

# A web client's own id is used as it is only when it cannot look like another channel's ("wechat:<openid>").
_PLAIN_WEB_ID = re.compile(r"[A-Za-z0-9_.\-]{1,160}")
WEB_PREFIX = "web:"


def web_session_id(client_id: str) -> str:
    """The session a web client's id names: its own id, or namespaced under "web:" when it has a channel's shape."""
    return client_id if _PLAIN_WEB_ID.fullmatch(client_id) else WEB_PREFIX + client_id


class SessionLocks:
    """Serialises the turns of one session within the process; entries are dropped when nobody holds them."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # session id -> [lock, holders]

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        """Wait for the session's earlier turns, then run this one alone."""
        with self._guard:
            entry = self._locks.setdefault(session_id, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    self._locks.pop(session_id, None)


def ensure_session(db_url: str, session_id: str, *, channel: str) -> None:
    """Create the session row if it is missing; a concurrent creator (another process) winning is fine."""
    with session_scope(db_url) as db:
        if db.get(ChatSession, session_id) is not None:
            return
    try:
        with session_scope(db_url) as db:
            db.add(ChatSession(session_id=session_id, channel=channel, state={}))
    except IntegrityError:
        pass  # two first turns at once: the other one created it
