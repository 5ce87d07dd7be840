"""`hotline report --from D --to D --out DIR`: the weekly report's files (shared/CONTRACTS.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from bot.analytics.records import Window


def report_command(start: date, end: date, out: Path, *, console: Console) -> Path:
    """Build and write the report for the Beijing days `start`..`end`; the report.html path."""
    from bot.analytics import report
    from connectors.runtime import Runtime

    runtime = Runtime()
    with console.status("正在分析…"):
        content = report.build(runtime.db_url, Window(start, end))
        files = report.write(content, out)
    f = content["findings"]
    console.print(f"诉求 {content['metrics']['volume']} 件；高频 {len(f['frequent'])}，高集中 {len(f['concentrated'])}，"
                  f"高危 {len(f['dangerous'])}，激增 {len(f['surging'])}，新话题 {len(f['new_topics'])}。")
    console.print(f"已写入 {out}（{len(files)} 个文件）")
    return out / "report.html"
