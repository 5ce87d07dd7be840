"""Take the README's screenshot of the citizen chat: a streamed, cited answer, a complaint with a correction,
and the ticket card, in headless Chromium against the real app on a throwaway data dir.

    .venv/bin/python scripts/screenshot_chat.py --out docs/img/chat.png
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import typer
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: Path = typer.Option(ROOT / "docs" / "img" / "chat.png")) -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ["HOTLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="hotline-shot-")
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=60_000)  # a loaded machine may take seconds per turn

    from connectors.app import create_app
    from connectors.runtime import Runtime

    runtime = Runtime()
    runtime.knowledge_base.ingest_paths([ROOT / "knowledge_base" / "samples"])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, run_worker=False), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    while httpx.get(base + "/healthz", timeout=10).status_code != 200:  # models warm, as a citizen finds them
        time.sleep(0.5)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="zh-CN")
        page.set_default_timeout(180_000)
        page.goto(base + "/")

        def say(text: str, expect_text: str) -> None:
            page.fill("#chat-input", text)
            page.press("#chat-input", "Enter")
            expect(page.locator(".msg.bot").last).to_contain_text(expect_text)

        say("供暖期是什么时候？", "11月15日")
        page.locator(".msg.bot").last.locator("button.cite-open").first.click()
        say("朝阳区望京街道花家地西里3号楼楼下烧烤店每天凌晨还在营业，油烟太大，电话13812345678", "确认")
        say("门牌号是5号楼", "5号楼")
        page.click("#quick button:text-is('确认')")
        expect(page.locator(".ticket-card .ticket-no").last).to_have_text(re.compile(r"^\d{6,}$"))
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    server.should_exit = True
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    typer.run(main)
