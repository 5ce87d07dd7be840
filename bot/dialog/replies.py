"""The bot's wording, loaded from `bot/resources/replies.yaml` and validated once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.errors import InvalidConfig

REPLIES_FILE = Path(__file__).resolve().parent.parent / "resources" / "replies.yaml"


class Replies:
    """Named sentences with {placeholders}; a missing name or placeholder is a start-up error, not a turn's."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def text(self, key: str, /, **values: object) -> str:
        """The sentence `key` (dotted for nested ones, e.g. "ask.location") with `values` filled in."""
        node: Any = self._data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InvalidConfig(f"replies.yaml has no entry {key}")
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def get(self, key: str, default: str = "") -> str:
        """The sentence `key` without placeholders, or `default` when there is none."""
        try:
            return self.text(key)
        except InvalidConfig:
            return default


@lru_cache(maxsize=4)
def load_replies(path: Path = REPLIES_FILE) -> Replies:
    """The replies file, parsed once per process."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidConfig(f"回复文案文件 {path.name} 无法读取：{exc}") from exc
    if not isinstance(data, dict):
        raise InvalidConfig(f"回复文案文件 {path.name} 格式不正确")
    return Replies(data)


R = load_replies()
