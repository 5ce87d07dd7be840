"""Admin-edited data files (taxonomy, routing table) are written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_yaml_atomic(target: Path, data: Any) -> None:
    """Write YAML so readers see the old file or the new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(target)
