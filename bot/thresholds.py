"""Calibrated thresholds, read from one data file (`bot/resources/thresholds.yaml`).

Each value in the file carries a comment saying how it was calibrated; code asks for a value by
its dotted name, so no threshold is a magic number inside a module.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

THRESHOLDS_PATH = Path(__file__).resolve().parent / "resources" / "thresholds.yaml"


@lru_cache(maxsize=1)
def _all() -> dict[str, Any]:
    data = yaml.safe_load(THRESHOLDS_PATH.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{THRESHOLDS_PATH} must hold a mapping of sections")
    return data


def threshold(name: str) -> float:
    """The value named `section.key` (sections may nest), e.g. `threshold("emergency.flag")`."""
    node: Any = _all()
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no threshold {name!r} in {THRESHOLDS_PATH.name}")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise TypeError(f"threshold {name!r} is not a number: {node!r}")
    return float(node)
