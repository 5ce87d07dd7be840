"""Admin-edited data files (taxonomy, routing table) are written atomically, and their caches key on `file_key`
(`bot.taxonomy.load_taxonomy`, `bot.dispatch.routing.load_router`): every write in this process bumps
`generation()`, and every atomic write, by any process, gives the file a new inode, so a cache reloads at once
instead of waiting for a file time that may not have moved (a coarse clock, two saves in one tick)."""

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


def file_key(path: Path) -> tuple[int, ...]:
    """What a cache of `path` is valid for: its inode (new at every atomic replace, also by another process),
    size, modification and change times, and this process's write generation."""
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, generation()
