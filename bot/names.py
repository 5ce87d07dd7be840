"""Checks for ids and names that staff pages, logs and other systems show: no control, bidi or zero-width
characters (a right-to-left override makes "exe.txt" look like "txt.exe"), and no markup in names."""

from __future__ import annotations

import unicodedata

# Unicode categories never allowed in an id or a name: controls, format characters (bidi overrides and
# isolates, zero-width joiners, BOM), unassigned code points, private use and surrogates.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs"})
_MARKUP = frozenset("<>")


def hidden_characters(value: str) -> list[str]:
    """The code points in `value` that do not show as themselves, as U+XXXX strings (empty when clean)."""
    return [f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES]


def name_problem(value: str, *, allow_markup: bool = False) -> str | None:
    """Why `value` cannot be an id or a name, in Chinese, or None when it can."""
    hidden = hidden_characters(value)
    if hidden:
        return f"含有不可见的控制或方向字符（{'、'.join(sorted(set(hidden))[:5])}）"
    if not allow_markup and any(ch in _MARKUP for ch in value):
        return "不能包含尖括号 < >（名称不接受 HTML）"
    return None
