"""The weekly report: metrics, the 四高 lists, surges, topics; report.json, report.md, report.html, charts + CSV.

`analyse` is pure over records; `build` reads the database through the repository; `write` renders files.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.analytics import danger, hotspots, surges, topics
from bot.analytics.records import Request, Window, week_start
from bot.store.db import session_scope, utcnow

LISTS = ("frequent", "concentrated", "dangerous", "surging", "new_topics")
TITLES = {"frequent": "高频", "concentrated": "高集中", "dangerous": "高危", "surging": "高增长（环比激增）",
          "new_topics": "首次出现的新话题（四首）"}


def analyse(records: list[Request], window: Window, protos: danger.Prototypes) -> dict[str, Any]:
    """Findings, topics and chart data for the window (records may include earlier history)."""
    findings = {
        "frequent": hotspots.frequent(records, window),
        "concentrated": hotspots.concentrated(records, window),
        "dangerous": danger.dangerous(records, window, protos),
        "surging": surges.surging(records, window),
        "new_topics": topics.new_topics(records, window),
    }
    inside = [r for r in records if window.holds(r)]
    days = [(window.start + timedelta(days=i)).isoformat() for i in range(window.days)]
    per_day = Counter(r.day.isoformat() for r in inside if r.day)
    by_category = Counter(r.category_l1 or "未分类" for r in inside)
    by_district = Counter(r.district or "未识别" for r in inside)
    surge_series: dict[str, list[int]] = {}
    weeks: list[str] = []
    if findings["surging"]:
        last = week_start(window.end)
        weeks = [(last - timedelta(weeks=k)).isoformat() for k in range(11, -1, -1)]
        for f in findings["surging"][:5]:
            place, l1 = f.details["place"], f.details["category_l1"]
            level = f.details["place_level"]
            counts = Counter(week_start(r.day).isoformat() for r in records if r.day and (r.category_l1 or "未分类") == l1
                             and (r.district == place if level == "区" else f"{r.district or ''}{r.street}" == place
                                  if level == "街道" else any(k.partition(":")[2] == place for k in r.places)))
            surge_series[f.label] = [counts.get(w, 0) for w in weeks]
    topic_list = topics.discover(records, window)
    return {
        "findings": {k: [f.to_json() for f in v] for k, v in findings.items()},
        "topics": topic_list,
        "charts": {
            "daily": {"x": days, "series": {"诉求量": [per_day.get(d, 0) for d in days]}},
            "categories": dict(by_category.most_common(15)),
            "districts": dict(by_district.most_common(20)),
            "surges": {"x": weeks, "series": surge_series},
            "topics": {t["label"]: t["count"] for t in topic_list[:15]},
        },
        "volume": len(inside),
    }


def build(db_url: str, window: Window, *, embedder: Any = None, protos: danger.Prototypes | None = None,
          now: datetime | None = None) -> dict[str, Any]:
    """The whole report as a dict (report.json's content)."""
    from bot.analytics import metrics
    from bot.analytics.repository import load_requests, service_facts, with_vectors

    with session_scope(db_url) as db:
        records = load_requests(db, until=window.end_at, since=window.start_at - timedelta(weeks=12))
        facts = service_facts(db, window.start_at, window.end_at)
    if any(r.vector is None for r in records):
        if embedder is None:
            from bot.triage.embedding import default_embedder

            embedder = default_embedder()
        records = with_vectors(records, embedder)
    result = analyse(records, window, protos or danger.default_prototypes())
    return {
        "period": {"from": window.start.isoformat(), "to": window.end.isoformat()},
        "generated_at": (now or utcnow()).isoformat(timespec="seconds"),
        "metrics": {**metrics.compute(facts, now=now or utcnow()), "volume": result.pop("volume")},
        **result,
    }


def write(report: dict[str, Any], out: Path) -> list[Path]:
    """report.json, report.md, report.html, and a PNG + CSV per chart, into `out`."""
    from bot.analytics import charts as ch

    out.mkdir(parents=True, exist_ok=True)
    c = report["charts"]
    made: list[tuple[str, Path, Path]] = []
    made.append(("每日诉求量", *ch.line_chart(out, "daily", "每日诉求量", c["daily"]["x"], c["daily"]["series"])))
    if c["categories"]:
        made.append(("一级分类", *ch.bar_chart(out, "categories", "诉求分类", list(c["categories"]),
                                            list(c["categories"].values()), header=("分类", "数量"))))
    if c["districts"]:
        made.append(("各区", *ch.bar_chart(out, "districts", "各区诉求量", list(c["districts"]),
                                         list(c["districts"].values()), header=("区", "数量"))))
    if c["surges"]["series"]:
        made.append(("激增", *ch.line_chart(out, "surges", "激增的类别 × 地点（每周）", c["surges"]["x"],
                                          c["surges"]["series"], x_header="周")))
    if c["topics"]:
        made.append(("话题", *ch.bar_chart(out, "topics", "本期话题", list(c["topics"]), list(c["topics"].values()),
                                         header=("话题", "数量"))))
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "report.md").write_text(markdown(report, [(t, p.name, s.name) for t, p, s in made]), encoding="utf-8")
    (out / "report.html").write_text(to_html(report, [(t, p.name, s.name) for t, p, s in made]), encoding="utf-8")
    return [out / "report.json", out / "report.md", out / "report.html", *(p for _, p, _ in made),
            *(s for _, _, s in made)]


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


METRIC_ROWS: list[tuple[str, str, Callable[[Any], str]]] = [("诉求总量", "volume", str), ("直接答复占比", "direct_reply_share", _pct), ("派单占比", "dispatch_share", _pct),
               ("解决率", "resolution_rate", _pct), ("满意率", "satisfaction_rate", _pct),
               ("按时办结率", "on_time_rate", _pct), ("转人工率", "handoff_rate", _pct),
               ("未答复率", "unanswered_rate", _pct)]


def _finding_line(f: dict[str, Any]) -> str:
    return f"{f['label']}：{f['count']} 件（{f['start']} 至 {f['end']}）"


def markdown(report: dict[str, Any], charts: list[tuple[str, str, str]]) -> str:
    """The report in Markdown."""
    m = report["metrics"]
    p = report["period"]
    lines = [f"# 12345 热线周报（{p['from']} 至 {p['to']}）", "", "## 服务指标", "", "| 指标 | 数值 |", "|---|---|"]
    lines += [f"| {name} | {fmt(m.get(key))} |" for name, key, fmt in METRIC_ROWS]
    if m.get("overdue"):
        lines += ["", f"超期未办结 {len(m['overdue'])} 件：" + "、".join(o["id"] for o in m["overdue"][:20])]
    if m.get("top_unanswered"):
        lines += ["", "未能答复的主要问题：" + "；".join(f"{t['topic']}（{t['count']}）" for t in m["top_unanswered"][:5])]
    for key in LISTS:
        lines += ["", f"## {TITLES[key]}", ""]
        items = report["findings"][key]
        lines += [f"- {_finding_line(f)}；诉求编号：{', '.join(f['request_ids'][:10])}"
                  + ("……" if f["count"] > 10 else "") for f in items] or ["- 本期无"]
    lines += ["", "## 话题", ""]
    trend = {"new": "新出现", "growing": "上升", "fading": "减少", "steady": "平稳"}
    lines += [f"- {t['label']}：{t['count']} 件，{trend[t['trend']]}；例：{t['representatives'][0]['text'][:40]}"
              for t in report["topics"][:15]] or ["- 本期无"]
    lines += ["", "## 图表", ""]
    lines += [f"![{t}]({png})（数据：{csv}）" for t, png, csv in charts]
    return "\n".join(lines) + "\n"


def to_html(report: dict[str, Any], charts: list[tuple[str, str, str]]) -> str:
    """The report as one HTML page (charts beside it)."""
    e = html.escape
    m = report["metrics"]
    p = report["period"]
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>12345 热线周报 {e(p['from'])}—{e(p['to'])}"
             "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;line-height:1.5}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}img{max-width:100%}"
             ".ids{color:#666;font-size:.85em}</style></head><body>",
             f"<h1>12345 热线周报（{e(p['from'])} 至 {e(p['to'])}）</h1><h2>服务指标</h2><table>"]
    parts += [f"<tr><th>{e(name)}</th><td>{e(fmt(m.get(key)))}</td></tr>" for name, key, fmt in METRIC_ROWS]
    parts.append("</table>")
    if m.get("overdue"):
        parts.append(f"<p>超期未办结 {len(m['overdue'])} 件：{e('、'.join(o['id'] for o in m['overdue'][:20]))}</p>")
    for key in LISTS:
        parts.append(f"<h2>{e(TITLES[key])}</h2><ul>")
        items = report["findings"][key]
        parts += [f"<li>{e(_finding_line(f))}<div class='ids'>{e(', '.join(f['request_ids'][:20]))}</div></li>"
                  for f in items] or ["<li>本期无</li>"]
        parts.append("</ul>")
    parts.append("<h2>话题</h2><ul>")
    parts += [f"<li>{e(t['label'])}：{t['count']} 件（{e(t['trend'])}）<div class='ids'>"
              f"{e(t['representatives'][0]['text'][:60])}</div></li>" for t in report["topics"][:15]] or ["<li>本期无</li>"]
    parts.append("</ul><h2>图表</h2>")
    parts += [f"<figure><img src='{e(png)}' alt='{e(t)}'><figcaption>{e(t)}（数据：<a href='{e(csv)}'>{e(csv)}</a>）"
              "</figcaption></figure>" for t, png, csv in charts]
    parts.append("</body></html>")
    return "".join(parts)


def zip_dir(out: Path) -> bytes:
    """Every file of a written report, as a zip (the dashboard's download)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(out.iterdir()):
            if path.is_file():
                z.write(path, path.name)
    return buf.getvalue()
