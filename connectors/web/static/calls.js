// Call assist over the whole call: the agent adds the caller's words turn by turn; each turn updates the
// ticket draft (from all turns so far), the suggested reply with its sources, and the caller's earlier tickets.
// The agent inserts a suggestion in one click (its use is recorded), edits the draft and submits it as a ticket.
"use strict";

(() => {
  const { el, api: plainApi, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const KEY = "hotline.call_id";

  const INTENTS = { complaint: "投诉", help: "求助", report: "举报", suggestion: "建议", praise: "表扬", consult: "咨询",
    other: "其他" };
  const URGENCY = { normal: "一般", urgent: "加急", emergency: "紧急" };
  const KINDS = { problem: "诉求描述", fact: "补充信息", question: "提问", correction: "更正", other: "其他" };
  const MISSING = { description: "诉求描述", location: "地点", contact_phone: "联系电话" };
  const OUTCOMES = { used: "已原样采用", edited: "已修改采用", discarded: "未采用" };

  let call = null;        // the call as the server last returned it
  let suggestion = null;  // the suggestion shown (the latest turn's)
  let inserted = null;    // the suggestion inserted into the reply box, if any
  let categories = [];
  const form = $("call-draft");
  const fields = ["draft-intent", "draft-urgency", "draft-l1", "draft-l2", "draft-place", "draft-district",
    "draft-street", "draft-time", "draft-phone", "draft-name", "draft-summary"];

  function store() {
    try { return window.sessionStorage; } catch (_e) { return null; }
  }

  function options(select, entries, value) {
    const list = entries.map(([v, label]) => el("option", { value: v }, label));
    if (value && !entries.some(([v]) => v === value)) list.push(el("option", { value }, value));
    select.replaceChildren(el("option", { value: "" }, "（未定）"), ...list);
    select.value = value || "";
  }

  function level2Options(level1, value) {
    const found = categories.find((c) => c.level1 === level1);
    options($("draft-l2"), (found ? found.level2 : []).map((n) => [n, n]), value);
  }

  // A field the agent has changed keeps the agent's value when the next turn updates the draft.
  function setField(id, value) {
    const node = $(id);
    if (node.dataset.dirty) return;
    node.value = value || "";
  }

  function fillForm(draft) {
    if (!$("draft-intent").dataset.dirty) options($("draft-intent"), Object.entries(INTENTS), draft.intent);
    if (!$("draft-urgency").dataset.dirty) options($("draft-urgency"), Object.entries(URGENCY), draft.urgency);
    const cat = draft.category || {};
    if (!$("draft-l1").dataset.dirty) {
      options($("draft-l1"), categories.map((c) => [c.level1, c.level1]), cat.level1);
      if (!$("draft-l2").dataset.dirty) level2Options(cat.level1, cat.level2);
    }
    const loc = draft.location || {};
    setField("draft-place", loc.raw);
    setField("draft-district", loc.district);
    setField("draft-street", loc.street);
    setField("draft-time", draft.occurred_at);
    setField("draft-phone", draft.contact_phone);
    setField("draft-name", draft.contact_name);
    setField("draft-summary", draft.summary);
    const missing = draft.missing || [];
    $("call-missing").hidden = !missing.length;
    $("call-missing").textContent = missing.length ? `还缺：${missing.map((m) => MISSING[m] || m).join("、")}` : "";
  }

  function formDraft() {
    const v = (id) => $(id).value.trim();
    return {
      intent: v("draft-intent") || null, urgency: v("draft-urgency") || null,
      category: v("draft-l1") ? { level1: v("draft-l1"), level2: v("draft-l2") || null } : null,
      location: { raw: v("draft-place") || null, district: v("draft-district") || null, street: v("draft-street") || null },
      occurred_at: v("draft-time") || null, contact_phone: v("draft-phone") || null,
      contact_name: v("draft-name") || null, summary: v("draft-summary") || null,
    };
  }

  function field(label, value) {
    return [el("dt", {}, label), el("dd", { class: value ? "" : "muted" }, value || "（未提及）")];
  }

  // The read-back: what the agent confirms with the caller, as the form now stands.
  function readBack() {
    const d = formDraft();
    const category = d.category ? [d.category.level1, d.category.level2].filter(Boolean).join(" / ") : "";
    const loc = d.location;
    $("assist-draft").replaceChildren(
      ...field("诉求类型", INTENTS[d.intent] || d.intent),
      ...field("分类", category),
      ...field("紧急程度", URGENCY[d.urgency] || d.urgency),
      ...field("地点", loc.raw || [loc.district, loc.street].filter(Boolean).join(" ")),
      ...field("发生时间", d.occurred_at),
      ...field("联系电话", d.contact_phone),
      ...field("称呼", d.contact_name),
      ...field("摘要", d.summary));
  }

  function citationList(citations) {
    if (!citations || !citations.length) return [];
    return [
      el("span", { class: "cite-label" }, "依据（点击查看原文）："),
      el("ul", {}, ...citations.map((c) => {
        const panel = el("div", { class: "passage", hidden: true });
        const button = el("button", { type: "button", class: "cite-open", "aria-expanded": "false",
          onclick: () => togglePassage(c.chunk_id, button, panel) }, `《${c.title || c.doc_id}》${c.heading ? ` ${c.heading}` : ""}`);
        return el("li", { class: "citation" }, button, " ", el("code", { class: "cite-id" }, c.doc_id), panel);
      })),
    ];
  }

  async function togglePassage(chunkId, button, panel) {
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
    if (panel.hidden || panel.dataset.loaded) return;
    panel.replaceChildren(el("span", { class: "muted" }, "正在加载原文…"));
    const res = await plainApi("GET", `/api/passages/${encodeURIComponent(chunkId)}`);
    if (res.ok && res.data) {
      panel.replaceChildren(el("span", { class: "passage-text" }, res.data.text));
      panel.dataset.loaded = "1";
    } else {
      panel.replaceChildren(el("span", { class: "error" }, errorText(res)));
    }
  }

  function showSuggestion(latest, note, kind) {
    suggestion = latest;
    const badge = $("assist-grounded");
    if (latest) {
      $("assist-reply").textContent = latest.text;
      badge.textContent = latest.outcome ? OUTCOMES[latest.outcome] : "有据可依";
      badge.className = latest.outcome === "discarded" ? "badge" : "badge ok";
    } else {
      $("assist-reply").textContent = note || (kind === "question" ? "" : "这段话没有需要答复的问题；草稿已按整通电话更新。");
      badge.textContent = note ? "知识库无依据" : "无需答复";
      badge.className = note ? "badge danger" : "badge";
    }
    $("assist-citations").replaceChildren(...citationList(latest ? latest.citations : []));
    $("suggestion-actions").hidden = !latest || !!latest.outcome;
  }

  function turnItem(t) {
    const who = t.role === "agent" ? "坐席" : "来电人";
    return el("li", { class: t.role, dataset: { kind: t.kind || "" } },
      t.kind ? el("span", { class: "badge" }, KINDS[t.kind] || t.kind) : null, `${who}：${t.text}`);
  }

  function ticketItem(t) {
    return el("li", { class: "ticket", dataset: { ticketNo: t.ticket_no } },
      el("div", { class: "section-head" }, el("strong", {}, t.ticket_no),
        el("span", { class: "badge" }, t.status_label || t.status)),
      el("p", {}, t.summary || ""),
      el("p", { class: "muted small" }, `${fmtTime(t.created_at)}　${t.unit || ""}`));
  }

  function render(data, extra) {
    call = data;
    const s = store();
    if (s) s.setItem(KEY, data.call_id);
    $("call-status").textContent = `通话中 ${data.call_id.slice(0, 6)}`;
    $("call-status").className = "badge ok";
    $("call-close").hidden = false;
    $("call-turns").replaceChildren(...(data.turns || []).map(turnItem));
    const tickets = data.caller_tickets || [];
    $("caller-tickets").replaceChildren(...(tickets.length ? tickets.map(ticketItem)
      : [el("li", { class: "empty muted" }, data.draft && data.draft.contact_phone ? "该号码没有历史工单。" : "记下来电号码后显示历史工单。")]));
    if (data.draft) fillForm(data.draft);
    readBack();
    if (extra) {
      showSuggestion((extra.suggestions || [])[0] || null, extra.note, extra.turn && extra.turn.kind);
      if (extra.alert) say($("assist-flash"), `紧急情况：${extra.alert}`, "error");
    } else if (suggestion) {
      showSuggestion((data.suggestions || []).find((x) => x.id === suggestion.id) || null, null, null);
    }
    $("assist-result").hidden = false;
  }

  function reset() {
    call = null;
    suggestion = null;
    inserted = null;
    const s = store();
    if (s) s.removeItem(KEY);
    for (const id of fields) { delete $(id).dataset.dirty; $(id).value = ""; }
    $("call-reply").value = "";
    $("call-turns").replaceChildren();
    $("caller-tickets").replaceChildren();
    $("assist-result").hidden = true;
    $("call-status").textContent = "未开始通话";
    $("call-status").className = "badge";
    $("call-close").hidden = true;
  }

  async function ensureCall() {
    if (call) return true;
    const res = await api("POST", "/api/agent/calls");
    if (!res.ok) { say($("assist-flash"), errorText(res), "error"); return false; }
    render(res.data);
    return true;
  }

  async function rates() {
    const res = await api("GET", "/api/agent/suggestions/stats");
    if (!res.ok) return;
    const d = res.data;
    const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
    $("suggestion-rates").textContent = d.decided
      ? `近 ${d.days} 天建议答复 ${d.total} 条：原样采用 ${pct(d.rates.used)}，修改后采用 ${pct(d.rates.edited)}，未采用 ${pct(d.rates.discarded)}`
      : `近 ${d.days} 天还没有已处理的建议答复。`;
    $("suggestion-rates").dataset.used = String(d.used);
    $("suggestion-rates").dataset.edited = String(d.edited);
    $("suggestion-rates").dataset.discarded = String(d.discarded);
  }

  $("assist-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("assist-text").value.trim();
    if (!text) return say($("assist-flash"), "请输入来电人所说的内容。", "error");
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    say($("assist-flash"), "正在分析……", "");
    try {
      if (!(await ensureCall())) return;
      const res = await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/turns`, { text });
      if (!res.ok) return say($("assist-flash"), errorText(res), "error");
      say($("assist-flash"), "", "");
      $("assist-text").value = "";
      render(res.data, res.data);
    } finally {
      button.disabled = false;
    }
  });

  $("suggestion-insert").addEventListener("click", () => {
    if (!suggestion) return;
    inserted = suggestion;
    $("call-reply").value = suggestion.text;
    $("call-reply").focus();
  });

  $("suggestion-discard").addEventListener("click", async () => {
    if (!suggestion || !call) return;
    const res = await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/suggestions/${suggestion.id}/discard`);
    if (!res.ok) return say($("assist-flash"), errorText(res), "error");
    if (inserted && inserted.id === suggestion.id) inserted = null;
    render(res.data);
    rates();
  });

  $("call-reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("call-reply").value.trim();
    if (!text || !call) return;
    const body = { text, suggestion_id: inserted ? inserted.id : null };
    const res = await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/replies`, body);
    if (!res.ok) return say($("assist-flash"), errorText(res), "error");
    inserted = null;
    $("call-reply").value = "";
    render(res.data);
    rates();
  });

  for (const id of fields) {
    $(id).addEventListener("input", () => { $(id).dataset.dirty = "1"; readBack(); });
  }
  $("draft-l1").addEventListener("change", () => { level2Options($("draft-l1").value, null); readBack(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!call) return;
    const button = $("call-submit");
    button.disabled = true;
    const res = await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/submit`, { draft: formDraft() });
    button.disabled = false;
    if (!res.ok) return say($("assist-flash"), errorText(res), "error");
    reset();
    say($("assist-flash"), `工单已提交：${res.data.ticket_no}` + (res.data.unit ? `，已派至${res.data.unit}` : ""), "ok");
    $("assist-flash").dataset.ticketNo = res.data.ticket_no;
    rates();
  });

  $("call-new").addEventListener("click", async () => {
    if (call) await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/close`);
    reset();
    say($("assist-flash"), "", "");
    rates();
    $("assist-text").focus();
  });

  $("call-close").addEventListener("click", async () => {
    if (!call) return;
    await api("POST", `/api/agent/calls/${encodeURIComponent(call.call_id)}/close`);
    reset();
    say($("assist-flash"), "通话已结束，未登记工单。", "ok");
    rates();
  });

  async function init() {
    const res = await api("GET", "/api/agent/categories");
    if (res.ok) categories = res.data.categories || [];
    const s = store();
    const saved = s && s.getItem(KEY);
    if (saved) {
      const found = await api("GET", `/api/agent/calls/${encodeURIComponent(saved)}`);
      if (found.ok && found.data.status === "open") render(found.data);
      else if (s) s.removeItem(KEY);
    }
    rates();
  }
  init();
})();
