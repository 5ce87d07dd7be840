"""The `hotline` command line (shared/CONTRACTS.md)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.errors import BadInput
from bot.logconfig import configure_logging, uvicorn_log_config

app = typer.Typer(help="12345 热线智能助手", no_args_is_help=True, add_completion=False)
token_app = typer.Typer(help="API tokens for staff endpoints", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts for the pages", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
console = Console(stderr=True)

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "knowledge_base" / "samples"


def _runtime():  # noqa: ANN202
    from connectors.runtime import Runtime

    configure_logging(logging.WARNING)
    return Runtime()


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, help="server processes (use PostgreSQL and a Chroma "
                                                          "server beyond 1)")] = 1) -> None:
    """Serve the whole product over HTTP."""
    import uvicorn

    configure_logging()
    if workers > 1:  # each process builds its own app from the factory
        uvicorn.run("connectors.app:create_app", factory=True, workers=workers, host=host, port=port,
                    log_level="info", log_config=uvicorn_log_config())
        return
    from connectors.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info", log_config=uvicorn_log_config())


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders")],
    if_empty: Annotated[bool, typer.Option("--if-empty", help="only when the knowledge base is empty")] = False,
) -> None:
    """Ingest policy documents; re-ingesting a file replaces it, unchanged files are skipped."""
    runtime = _runtime()
    kb = runtime.knowledge_base
    if if_empty and not kb.is_empty():
        console.print("知识库已有内容，跳过导入。")
        return
    report = kb.ingest_paths(paths, show_progress=True)
    for item in report.files:
        if item.outcome == "error":
            console.print(f"[red]✗[/red] {item.message}")
    console.print(
        f"新增 {report.count('added')}，更新 {report.count('updated')}，未变 {report.count('unchanged')}，"
        f"删除 {report.count('deleted')}，失败 {report.count('error')}；本次向量化 {report.embedded} 个片段。"
    )
    if report.count("error") and not (report.count("added") + report.count("updated") + report.count("unchanged")):
        raise typer.Exit(1)


@app.command()
def ask(
    input: Annotated[Path, typer.Option("--input", help="JSONL: {id, question}")],
    output: Annotated[Path, typer.Option("--output", help="JSONL: {id, answer, grounded, direct_reply, citations}")],
) -> None:
    """Answer questions from the knowledge base, one JSON object a line, same order."""
    answerer = _runtime().answerer
    with input.open(encoding="utf-8") as src, output.open("w", encoding="utf-8") as dst:
        for n, line in enumerate(src, 1):
            if line.strip():
                dst.write(json.dumps(_answer_line(answerer, line, n), ensure_ascii=False) + "\n")


def _answer_line(answerer, line: str, n: int) -> dict:  # noqa: ANN001
    """One output line; a bad input line gets an error line in its place, so the order holds."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        console.print(f"[red]第 {n} 行不是有效的 JSON：{exc}[/red]")
        return {"id": None, "error": f"第 {n} 行不是有效的 JSON"}
    if not isinstance(item, dict) or not str(item.get("question") or "").strip():
        console.print(f"[red]第 {n} 行缺少 question[/red]")
        return {"id": item.get("id") if isinstance(item, dict) else None, "error": "缺少 question"}
    result = answerer.answer(str(item["question"]).strip())
    return {"id": item.get("id"), **result.model_dump(mode="json", exclude={"question_kind"})}


@app.command()
def classify(
    input: Annotated[Path, typer.Option("--input", help="JSONL: {id, title?, text}")],
    output: Annotated[Path, typer.Option("--output", help="JSONL: intent, category, urgency, ticket fields")],
) -> None:
    """Triage and extract messages, one JSON object a line, same order."""
    from connectors.commands.classify import classify_command

    configure_logging(logging.WARNING)
    classify_command(input, output)


@app.command("import-messages")
def import_messages(
    path: Annotated[Path, typer.Argument(help="JSONL: id, time, title, text (+ district, category, status, votes)")],
    batch: Annotated[int, typer.Option(help="records per transaction")] = 64,
) -> None:
    """Import past requests for the analysis; a re-run skips what was imported. Never dispatched."""
    from connectors.commands.import_messages import import_command

    configure_logging(logging.WARNING)
    if not path.is_file():
        console.print(f"[red]找不到文件：{path}[/red]")
        raise typer.Exit(2)
    report = import_command(path, batch=max(batch, 1), console=console)
    if report.lines and not (report.imported + report.skipped):
        raise typer.Exit(1)


@app.command()
def retrain(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="measure only; store nothing")] = False,
) -> None:
    """Measure the categories staff corrected and, when they help, add them to triage's examples."""
    from bot.store.db import session_scope
    from bot.triage.embedding import default_embedder
    from bot.triage.retrain import retrain as run_retrain

    runtime = _runtime()  # the database and settings; triage itself is not built (the retrain fits its own)
    with session_scope(runtime.db_url) as db:
        result = run_retrain(runtime.settings, db, embedder=default_embedder(), write=not dry_run)
    console.print(f"员工样例 {result.collected} 条（分类已不存在而跳过 {result.skipped} 条）")
    console.print(result.reason)
    if result.path is not None:
        console.print(f"已写入 {result.path}；重启服务后生效（管理员下次修改分类体系时也会生效）")
    if not result.accepted:
        raise typer.Exit(1)


@app.command()
def report(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD (Beijing time)")],
    end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD, included")],
    out: Annotated[Path, typer.Option("--out", help="folder for report.html, report.md, report.json, charts")],
) -> None:
    """The weekly report: metrics, the 四高 lists, surges and topics, with PNG charts and their CSV."""
    from datetime import date

    from connectors.commands.report import report_command

    configure_logging(logging.WARNING)
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        console.print("[red]日期格式应为 YYYY-MM-DD[/red]")
        raise typer.Exit(2) from exc
    if last < first:
        console.print("[red]--to 不能早于 --from[/red]")
        raise typer.Exit(2)
    report_command(first, last, out, console=console)


@app.command()
def worker() -> None:
    """Run the delivery worker alone (when HOTLINE_WORKER=off for `serve`)."""
    from connectors.commands.worker import worker_command

    configure_logging()
    worker_command()


@app.command()
def units(search: Annotated[str, typer.Argument(help="part of a unit id or name")] = "") -> None:
    """The routing table's units (city and district), id and name: a unit account is named after its id."""
    from bot.dispatch.routing import load_router

    router = load_router(_runtime().settings.overrides_dir)
    for unit in router.all_units():
        if search in unit["id"] or search in unit["name"]:
            typer.echo(f"{unit['id']}\t{unit['name']}")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin | agent | unit | analyst")],
    name: Annotated[str, typer.Option(help="who the token is for")],
) -> None:
    """Create an API token and print it (it is shown once); a unit token is named after its unit id."""
    from bot import staff
    from bot.store.db import session_scope

    runtime = _runtime()
    try:
        with session_scope(runtime.db_url) as db:
            token = staff.add_token(db, role=role, name=name, overrides_dir=runtime.settings.overrides_dir)
    except BadInput as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    typer.echo(token)


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin | agent | unit | analyst")],
    password: Annotated[str, typer.Option(help="at least 8 characters")],
) -> None:
    """Create or reset a staff account for the pages; a unit account is named after its unit id (`hotline units`)."""
    from bot import staff
    from bot.store.db import session_scope

    runtime = _runtime()
    try:
        with session_scope(runtime.db_url) as db:
            staff.add_account(db, name=name, role=role, password=password,
                              overrides_dir=runtime.settings.overrides_dir)
    except BadInput as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"已创建账号 {name}（{role}）")


if __name__ == "__main__":
    app()
