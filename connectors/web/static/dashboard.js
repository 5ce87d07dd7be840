// The analytics dashboard: summary tiles, per-day trend (table plus SVG bars), hotspots and repeats.
"use strict";

(() => {
  const { el, staffApi: api, errorText, say, STATUS_LABELS } = Hotline;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const URGENCY = { emergency: "紧急", urgent: "加急", normal: "一般" };

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function table(node, head, rows, empty) {
    const body = rows.length ? rows.map((r) => el("tr", {}, ...r.map((c, i) => el("td", { class: typeof c === "number" && i ? "num" : "" }, c))))
      : [el("tr", {}, el("td", { class: "empty", colspan: head.length }, empty))];
    node.replaceChildren(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...body));
  }

  function tile(key, label, value) {
    return el("td", { class: "tile", dataset: { key } }, el("div", { class: "muted small" }, label),
      el("strong", { class: "tile-value" }, value));
  }

  function breakdown(title, counts, labels) {
    const rows = Object.entries(counts || {}).map(([k, n]) => [(labels && labels[k]) || k, n]);
    const t = el("table", {});
    table(t, [title, "件数"], rows, "暂无数据");
    return el("div", { class: "table-wrap" }, t);
  }

  async function loadSummary(days) {
    const res = await api("GET", `/api/analytics/summary?days=${days}`);
    if (!res.ok) return say($("dash-flash"), errorText(res), "error");
    say($("dash-flash"), "", "");
    const d = res.data;
    const share = d.direct_reply_share === null ? "—" : `${(d.direct_reply_share * 100).toFixed(1)}%`;
    const open = Object.entries(d.by_status).filter(([s]) => !["resolved", "closed", "merged"].includes(s))
      .reduce((sum, [, n]) => sum + n, 0);
    $("tiles-body").replaceChildren(el("tr", {},
      tile("tickets", "工单总数", d.tickets_total),
      tile("open", "未办结", open),
      tile("overdue", "已超期", d.overdue),
      tile("consult", "咨询答复", d.consult_answers),
      tile("grounded", "有据直接答复", d.grounded_answers),
      tile("share", "直接答复率", share)));
    const sug = d.suggestions;
    const rate = (o) => (sug.rates[o] === null ? "—" : `${(sug.rates[o] * 100).toFixed(1)}%（${sug[o]} 条）`);
    $("suggestion-tiles").replaceChildren(el("tr", {},
      tile("suggestions", "来电建议答复（已处理）", sug.decided),
      tile("used", "原样采用", rate("used")),
      tile("edited", "修改后采用", rate("edited")),
      tile("discarded", "未采用", rate("discarded"))));
    $("breakdowns").replaceChildren(
      breakdown("状态", d.by_status, STATUS_LABELS),
      breakdown("一级分类", d.by_category),
      breakdown("区", d.by_district),
      breakdown("紧急程度", d.by_urgency, URGENCY));
  }

  function bars(series) {
    const width = Math.max(series.length * 24, 240);
    const height = 120;
    const max = Math.max(1, ...series.map((s) => s.total));
    const chart = svg("svg", { width, height: height + 20, viewBox: `0 0 ${width} ${height + 20}`, role: "img",
      "aria-label": "每日工单数柱状图" });
    series.forEach((s, i) => {
      const h = Math.round((s.total / max) * height);
      const bar = svg("rect", { x: i * 24 + 4, y: height - h, width: 16, height: h, fill: "#2563eb" });
      bar.append(svg("title", {}, `${s.date}：${s.total} 件`));
      chart.append(bar, svg("text", { x: i * 24 + 12, y: height + 14, "font-size": 9, "text-anchor": "middle" },
        s.date.slice(8)));
    });
    return chart;
  }

  async function loadTrends(days) {
    const res = await api("GET", `/api/analytics/trends?days=${days}`);
    if (!res.ok) return say($("dash-flash"), errorText(res), "error");
    const { categories, series } = res.data;
    $("trend-chart").replaceChildren(series.length ? bars(series) : el("p", { class: "empty" }, "所选时间内没有工单。"));
    table($("trend-table"), ["日期", "合计", ...categories],
      series.map((s) => [s.date, s.total, ...categories.map((c) => s.by_category[c] || 0)]), "暂无数据");
  }

  async function loadHotspots(days) {
    const res = await api("GET", `/api/analytics/hotspots?days=${days}`);
    if (!res.ok) return say($("dash-flash"), errorText(res), "error");
    const d = res.data;
    table($("hot-table"), ["区", "街道", "一级分类", "件数"],
      d.hotspots.map((h) => [h.district || "未填写", h.street || "未填写", h.category_l1 || "未填写", h.count]), "暂无数据");
    $("merged-count").textContent = `已合并 ${d.merged_count} 件`;
    table($("repeat-table"), ["工单号", "区", "街道", "一级分类", "摘要", "重复次数"],
      d.repeats.map((r) => [r.ticket_no, r.district || "", r.street || "", r.category_l1 || "", r.summary || "", r.repeat_count]),
      "暂无重复反映");
  }

  function loadAll() {
    const days = Number($("days").value) || 30;
    loadSummary(days);
    loadTrends(days);
    loadHotspots(days);
  }

  $("days-form").addEventListener("submit", (event) => { event.preventDefault(); loadAll(); });
  loadAll();
})();
