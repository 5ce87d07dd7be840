// The 四高 analysis on the dashboard: metrics, the five lists, topics, charts; every number drills down.
"use strict";

(() => {
  const { el, staffApi: api, errorText, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const LISTS = { frequent: "高频", concentrated: "高集中", dangerous: "高危", surging: "高增长（环比激增）", new_topics: "新话题（四首）" };
  const TREND = { new: "新出现", growing: "上升", fading: "减少", steady: "平稳" };
  const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
  let district = "";

  function drillLink(label, ids) {
    const a = el("a", { href: "#drill-title", class: "drill" }, String(label));
    a.addEventListener("click", (ev) => { ev.preventDefault(); drill(ids); });
    return a;
  }

  async function drill(ids) {
    const res = await api("GET", `/api/analytics/requests?ids=${encodeURIComponent(ids.slice(0, 300).join(","))}`);
    if (!res.ok) return say($("fourhigh-flash"), errorText(res), "error");
    const rows = res.data.requests.filter((r) => !district || r.district === district);
    $("drill-title").hidden = false;
    const head = ["编号", "时间", "类别", "区", "地点", "内容"];
    const body = rows.map((r) => el("tr", {}, el("td", {}, r.id), el("td", {}, (r.time || "").slice(0, 10)),
      el("td", {}, [r.category_l1, r.category_l2].filter(Boolean).join(" / ")), el("td", {}, r.district || ""),
      el("td", {}, (r.places || []).map((p) => p.split(":")[1]).join("、")), el("td", {}, (r.title ? r.title + "。" : "") + r.text.slice(0, 120))));
    $("drill-table").replaceChildren(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...(body.length ? body : [el("tr", {}, el("td", { colspan: 6, class: "empty" }, "暂无"))])));
    $("drill-title").scrollIntoView({ behavior: "smooth" });
  }

  function bars(title, data) {
    const entries = Object.entries(data || {});
    const max = Math.max(1, ...entries.map(([, n]) => n));
    const rows = entries.map(([k, n]) => el("tr", {}, el("td", {}, k),
      el("td", {}, el("div", { class: "bar", style: `width:${Math.round((n / max) * 100)}%;background:#3b7dd8;height:0.9em` })),
      el("td", { class: "num" }, n)));
    return el("div", { class: "table-wrap" }, el("h4", {}, title), el("table", {}, el("tbody", {}, ...rows)));
  }

  function keep(f) { return !district || f.district === district || f.place === district || (f.top_districts || []).includes(district); }

  function render(d) {
    const m = d.metrics;
    const tile = (label, value, ids) => el("td", { class: "tile" }, el("div", { class: "muted small" }, label),
      el("strong", { class: "tile-value" }, ids && ids.length ? drillLink(value, ids) : value));
    $("metric-tiles").replaceChildren(el("tr", {},
      tile("诉求量", m.volume), tile("直接答复占比", pct(m.direct_reply_share)), tile("派单占比", pct(m.dispatch_share)),
      tile("解决率", pct(m.resolution_rate)), tile("满意率", pct(m.satisfaction_rate)),
      tile("按时办结率", pct(m.on_time_rate)), tile("超期", m.overdue.length, m.overdue_ids),
      tile("转人工率", pct(m.handoff_rate)), tile("未答复率", pct(m.unanswered_rate))));
    const lists = Object.entries(LISTS).map(([key, title]) => {
      const items = d.findings[key].filter(keep);
      const rows = items.map((f) => el("tr", {}, el("td", {}, f.label), el("td", { class: "num" }, drillLink(f.count, f.request_ids)),
        el("td", {}, `${f.start} 至 ${f.end}`)));
      return el("div", { class: "table-wrap" }, el("h3", {}, title),
        el("table", {}, el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: 3 }, "本期无"))]))));
    });
    $("fourhigh-lists").replaceChildren(...lists);
    const topics = d.topics.map((t) => el("tr", {}, el("td", {}, t.label), el("td", { class: "num" }, drillLink(t.count, t.request_ids)),
      el("td", {}, TREND[t.trend] || t.trend), el("td", {}, t.representatives.map((r) => r.text.slice(0, 40)).join(" ／ "))));
    $("topic-table").replaceChildren(el("thead", {}, el("tr", {}, ...["话题", "件数", "走势", "代表诉求"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...topics));
    const daily = {};
    d.charts.daily.x.forEach((x, i) => { daily[x.slice(5)] = d.charts.daily.series["诉求量"][i]; });
    $("fourhigh-charts").replaceChildren(bars("每日诉求量", daily), bars("分类", d.charts.categories),
      bars("各区", d.charts.districts), bars("话题", d.charts.topics));
  }

  async function load() {
    const from = $("period-from").value, to = $("period-to").value;
    district = $("period-district").value.trim();
    $("report-zip").href = `/api/analytics/report.zip?from=${from}&to=${to}`;
    say($("fourhigh-flash"), "正在分析…", "");
    const res = await api("GET", `/api/analytics/report?from=${from}&to=${to}`);
    if (!res.ok) return say($("fourhigh-flash"), errorText(res), "error");
    say($("fourhigh-flash"), "", "");
    render(res.data);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const today = new Date();
    const iso = (t) => t.toISOString().slice(0, 10);
    $("period-to").value = iso(today);
    $("period-from").value = iso(new Date(today.getTime() - 6 * 86400000));
    $("period-form").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    load();
  });
})();
