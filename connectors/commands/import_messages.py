"""`hotline import-messages PATH`: past requests into the analysis tables, with a progress bar; resumable."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.analytics.imports import ImportReport, build_importer, count_lines


def import_command(path: Path, *, batch: int, console: Console) -> ImportReport:
    """Import `path`; prints the invalid lines and a summary."""
    from connectors.runtime import Runtime

    runtime = Runtime()
    total = count_lines(path)
    with console.status("正在加载分类模型…"):
        importer = build_importer(runtime)
    columns = (TextColumn("导入"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("import", total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            speed = progress.tasks[0].speed
            progress.update(task, rate=f"{speed:.1f} 条/秒" if speed else "")

        report = importer.run(path, batch=batch, on_progress=advance)
    for n, reason in report.invalid[:20]:
        console.print(f"[yellow]第 {n} 行：{reason}[/yellow]")
    if len(report.invalid) > 20:
        console.print(f"[yellow]……另有 {len(report.invalid) - 20} 行无效[/yellow]")
    console.print(report.summary())
    return report
