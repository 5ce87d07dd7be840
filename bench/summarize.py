"""Render every bench result (*.json) in a folder as one Markdown summary.

    .venv/bin/python bench/summarize.py bench/results > bench/results/SUMMARY.md

Knows no benchmark's shape: each file becomes a section; scalars and small nested dicts become a
key/value table (nested keys dotted), sibling dicts with the same keys (and dicts of dicts) become one
table with a row each, lists of dicts become tables, long strings become paragraphs, and deeper
structure becomes subsections. A file that is not valid JSON is reported, not fatal.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_DEPTH_HEADINGS = 5  # headings go down to #####; deeper structure is flattened into dotted keys
SMALL_DICT = 4  # a flat dict with at most this many leaves stays in its parent's key/value table
LONG_TEXT = 100  # a string longer than this (or with a newline) is rendered as a paragraph
MAX_LIST = 12  # scalars shown from a list
MAX_COLUMNS = 9  # a wider matrix is transposed when that makes it narrower


# -- values ------------------------------------------------------------------------------------------------

def is_scalar(value: Any) -> bool:
    """None, bool, number or string."""
    return value is None or isinstance(value, (bool, int, float, str))


def is_scalar_list(value: Any) -> bool:
    """A list (possibly empty) of scalars only."""
    return isinstance(value, list) and all(is_scalar(v) for v in value)


def is_leaf(value: Any) -> bool:
    """Rendered in one table cell."""
    return is_scalar(value) or is_scalar_list(value)


def fmt_number(value: float) -> str:
    """Readable numbers: integers as such, others with sensible decimals, never scientific for ordinary sizes."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1000 else str(int(value))
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if magnitude >= 0.001:
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return f"{value:.2e}"


def fmt(value: Any) -> str:
    """One table cell."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return fmt_number(value)
    if isinstance(value, list):
        shown = ", ".join(fmt(v) for v in value[:MAX_LIST])
        more = f", … (+{len(value) - MAX_LIST})" if len(value) > MAX_LIST else ""
        return f"[{shown}{more}]"
    if isinstance(value, (dict,)):
        return cell(json.dumps(value, ensure_ascii=False)[:200])
    return cell(str(value))


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def is_long_text(value: Any) -> bool:
    """A string that reads better as a paragraph."""
    return isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists of scalars stay leaves; other lists become one JSON-ish cell."""
    if not isinstance(value, dict):
        return {prefix or "value": value}
    out: dict[str, Any] = {}
    for key, sub in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(sub, dict) and sub:
            out.update(flatten(sub, name))
        else:
            out[name] = sub
    return out


def is_flat_dict(value: Any) -> bool:
    """A non-empty dict whose values, nested dicts included, are all cell-sized."""
    return isinstance(value, dict) and bool(value) and all(is_leaf(v) for v in flatten(value).values())


def is_simple_dict(value: Any) -> bool:
    """A non-empty dict of cell-sized values, no nesting."""
    return isinstance(value, dict) and bool(value) and all(is_leaf(v) for v in value.values())


# -- tables ------------------------------------------------------------------------------------------------

def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]


def key_value_table(pairs: list[tuple[str, Any]]) -> list[str]:
    """Two columns: key, value."""
    return table(["key", "value"], [[cell(k), fmt(v)] for k, v in pairs])


def matrix(rows: dict[str, dict[str, Any]], row_title: str = "") -> list[str]:
    """One row per entry, one column per (dotted) key; transposed when that is narrower."""
    flat = {name: flatten(v) for name, v in rows.items()}
    columns: list[str] = []
    for values in flat.values():
        columns += [c for c in values if c not in columns]
    if len(columns) > MAX_COLUMNS and len(flat) < len(columns):
        return table([row_title or "metric", *flat],
                     [[cell(c), *(fmt(flat[name].get(c)) if c in flat[name] else "" for name in flat)]
                      for c in columns])
    return table([row_title, *columns],
                 [[f"**{cell(name)}**", *(fmt(values.get(c)) if c in values else "" for c in columns)]
                  for name, values in flat.items()])


def list_table(items: list[dict[str, Any]]) -> list[str]:
    """A list of dicts: one row per item."""
    return matrix({str(i + 1): item for i, item in enumerate(items)}, "#")


# -- structure ----------------------------------------------------------------------------------------------

def render(value: Any, level: int) -> list[str]:
    """Markdown for any JSON value under a heading of `level`."""
    if isinstance(value, dict):
        return render_dict(value, level)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return list_table(value)
        if is_scalar_list(value):
            return [fmt(value), ""]
        if all(is_scalar_list(v) for v in value):  # a matrix, e.g. a confusion matrix
            width = max(len(v) for v in value)
            return table(["#", *(str(i) for i in range(1, width + 1))],
                         [[f"**{i}**", *(fmt(x) for x in row), *([""] * (width - len(row)))]
                          for i, row in enumerate(value, 1)])
        out: list[str] = []
        for i, item in enumerate(value, 1):
            out += heading(f"item {i}", level + 1) + render(item, level + 1)
        return out
    if is_long_text(value):
        return paragraph(str(value))
    return [fmt(value), ""]


def paragraph(text: str) -> list[str]:
    """Free text as a quoted block, its line breaks kept."""
    return [*("> " + line if line.strip() else ">" for line in text.strip().splitlines()), ""]


def heading(title: str, level: int) -> list[str]:
    """A heading, or bold text once headings would be too deep."""
    if level <= MAX_DEPTH_HEADINGS:
        return ["#" * level + " " + title, ""]
    return [f"**{title}**", ""]


def render_dict(data: dict[str, Any], level: int) -> list[str]:
    """Key/value table, grouped tables, paragraphs, then subsections."""
    if not data:
        return ["(empty)", ""]
    pairs: list[tuple[str, Any]] = []
    paragraphs: list[tuple[str, str]] = []
    flat_dicts: dict[str, dict[str, Any]] = {}
    complex_: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if is_long_text(value):
            paragraphs.append((key, value))
        elif is_leaf(value):
            pairs.append((key, value))
        elif is_simple_dict(value):
            flat_dicts[key] = value
        elif is_flat_dict(value) and len(flatten(value)) <= SMALL_DICT:
            pairs += list(flatten(value, key).items())
        elif isinstance(value, dict) and not value:
            pairs.append((key, "(none)"))
        else:
            complex_[key] = value

    # Sibling flat dicts with the same keys read best as one table (e.g. "overall", "passive", ...).
    groups: dict[tuple[str, ...], list[str]] = {}
    for key, value in flat_dicts.items():
        groups.setdefault(tuple(flatten(value)), []).append(key)
    grouped: list[list[str]] = []
    alone: list[str] = []
    for keys in groups.values():
        (grouped.append(keys) if len(keys) > 1 else alone.extend(keys))
    for key in alone:
        leaves = flatten(data[key], key)
        if len(leaves) <= SMALL_DICT:
            pairs += list(leaves.items())
        else:
            complex_[key] = data[key]

    out: list[str] = []
    if pairs:
        out += key_value_table(pairs)
    for keys in grouped:
        out += matrix({k: data[k] for k in keys})
    for key, text in paragraphs:
        out += [f"**{cell(key)}**:", "", *paragraph(text)]
    for key, value in complex_.items():
        out += heading(key, level + 1)
        if isinstance(value, dict) and len(value) > 1 and all(is_flat_dict(v) for v in value.values()):
            out += matrix(value)  # a dict of flat dicts: one row each (e.g. results by size)
        else:
            out += render(value, level + 1)
    return out


def summarize(folder: Path) -> str:
    """The whole Markdown document."""
    files = sorted(p for p in folder.glob("*.json") if p.is_file())
    lines = ["# Benchmark results", "",
             f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} from `{folder}`: "
             + (", ".join(f"[`{p.name}`](#{p.stem.lower()})" for p in files) if files else "no `*.json` files") + ".",
             ""]
    charts = sorted(folder.glob("*.png"))
    if charts:
        lines += ["## Curves", ""]
        for chart in charts:
            lines += [f"![{chart.stem}]({chart.name})", ""]
    for path in files:
        lines += [f"## {path.stem}", ""]
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines += [f"_`{path.name}`, written {modified}._", ""]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            lines += [f"**Could not read this file:** {cell(str(exc))}", ""]
            continue
        lines += render(data, 2)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    """`summarize.py FOLDER` writes Markdown to stdout."""
    if len(sys.argv) != 2 or sys.argv[1] in {"-h", "--help"}:
        print(__doc__.strip(), file=sys.stderr)
        raise SystemExit(2)
    folder = Path(sys.argv[1])
    if not folder.is_dir():
        print(f"not a folder: {folder}", file=sys.stderr)
        raise SystemExit(2)
    sys.stdout.write(summarize(folder))


if __name__ == "__main__":
    main()
