"""Admin-edited data files (taxonomy, routing table) are written atomically, and every write in this process
bumps `generation()`, so their caches reload at once instead of waiting for a file time that may not have moved
(`bot.taxonomy.load_taxonomy`, `bot.dispatch.routing.load_router`; other processes still see the file's time)."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import yaml


def write_yaml_atomic(target: Path, data: Any) -> None:
    """Write YAML so readers see the old file or the new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(target)
    _edited()


_counter = itertools.count(1)
_lock = threading.Lock()
_generation = 0


def _edited() -> None:
    global _generation
    with _lock:
        _generation = next(_counter)


def generation() -> int:
    """How many admin data files this process has written; a cache built at another value is stale."""
    return _generation
