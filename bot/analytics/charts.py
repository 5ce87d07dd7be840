"""PNG charts for the report, each with the CSV of the data behind it (matplotlib, Agg backend).

Chinese labels need a CJK font; when the machine has none the charts still render (the labels fall back
to the default font) and the CSV keeps the names.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font family with Chinese glyphs, when one is installed."""
    from matplotlib import font_manager

    for name in ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                 "Source Han Sans SC", "SimHei", "Microsoft YaHei", "AR PL UMing CN"):
        if any(f.name == name for f in font_manager.fontManager.ttflist):
            return name
    return None


def _style() -> None:
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """The data behind a chart."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def bar_chart(out: Path, name: str, title: str, labels: Sequence[str], values: Sequence[float], *,
              header: tuple[str, str] = ("项目", "数量"), horizontal: bool = True) -> tuple[Path, Path]:
    """A bar chart `name`.png and its `name`.csv."""
    import matplotlib.pyplot as plt

    _style()
    csv_path = write_csv(out / f"{name}.csv", header, list(zip(labels, values, strict=True)))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(labels) + 1)) if horizontal else (9, 4))
    if horizontal:
        ax.barh(list(reversed(labels)), list(reversed(values)), color="#3b7dd8")
    else:
        ax.bar(labels, values, color="#3b7dd8")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
    return _save(fig, ax, title, out / f"{name}.png"), csv_path


def line_chart(out: Path, name: str, title: str, x: Sequence[str], series: dict[str, Sequence[float]], *,
               x_header: str = "日期") -> tuple[Path, Path]:
    """A line chart of one or more series over `x`, and its CSV (one column per series)."""
    import matplotlib.pyplot as plt

    _style()
    names = list(series)
    csv_path = write_csv(out / f"{name}.csv", [x_header, *names],
                         [[xi, *(series[n][i] for n in names)] for i, xi in enumerate(x)])
    fig, ax = plt.subplots(figsize=(9, 4))
    for n in names:
        ax.plot(list(x), list(series[n]), marker="o", markersize=3, label=n)
    if len(names) > 1:
        ax.legend(fontsize=8)
    step = max(1, len(x) // 12)
    ax.set_xticks(range(0, len(x), step))
    ax.set_xticklabels([x[i] for i in range(0, len(x), step)], rotation=45, fontsize=7)
    return _save(fig, ax, title, out / f"{name}.png"), csv_path


def _save(fig: Any, ax: Any, title: str, png: Path) -> Path:
    """Title the chart, write it as a PNG and free the figure."""
    import matplotlib.pyplot as plt

    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png
