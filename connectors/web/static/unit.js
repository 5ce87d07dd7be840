// The unit desk: the built-in backend's queue, and accept / start / resolve / return on each ticket.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const isAdmin = $("queue-card").dataset.role === "admin";

  // The moves that make sense from each status (the lifecycle allows a few shortcuts we do not offer).
  const MOVES = {
    dispatched: ["accept", "return"],
    reopened: ["accept", "return"],
    accepted: ["start", "resolve", "return"],
    in_progress: ["resolve", "return"],
  };
  const LABELS = { accept: "受理", start: "开始办理", resolve: "办结", return: "退回" };
  const NEEDS_NOTE = { resolve: "请填写办理结果后再办结。", return: "请填写退回原因。" };
  const URGENCY = { emergency: "紧急", urgent: "加急" };

  function unitParam(prefix) {
    const unit = isAdmin ? $("queue-unit").value.trim() : "";
    return unit ? `${prefix}unit_id=${encodeURIComponent(unit)}` : "";
  }

  async function loadQueue() {
    const list = $("queue");
    const status = $("queue-status").value;
    const params = [unitParam(""), status ? `status=${encodeURIComponent(status)}` : ""].filter(Boolean).join("&");
    const res = await api("GET", `/api/unit/tickets${params ? `?${params}` : ""}`);
    if (!res.ok) {
      $("queue-count").textContent = "";
      return list.replaceChildren(el("li", { class: "error" }, errorText(res)));
    }
    $("queue-count").textContent = `${res.data.count} 件`;
    if (!res.data.tickets.length) return list.replaceChildren(el("li", { class: "empty" }, "当前没有待办工单。"));
    list.replaceChildren(...res.data.tickets.map(ticketItem));
  }

  function place(t) {
    const loc = t.location || {};
    return loc.raw || [t.district, t.street].filter(Boolean).join(" ") || "（未提供地点）";
  }

  function ticketItem(t) {
    const note = el("textarea", { rows: 2, maxlength: 2000, placeholder: "办理说明（办结需填写办理结果，退回需填写原因）",
      "aria-label": `工单 ${t.ticket_no} 的办理说明` });
    const detailBox = el("div", { class: "detail", hidden: true });
    const buttons = (MOVES[t.status] || []).map((action) => el("button", {
      type: "button", class: action === "return" ? "danger small" : "primary small", dataset: { action },
      onclick: () => act(t, action, note),
    }, LABELS[action]));
    const category = [t.category && t.category.level1, t.category && t.category.level2].filter(Boolean).join(" / ");
    return el("li", { class: t.overdue ? "ticket overdue" : "ticket", dataset: { ticketNo: t.ticket_no } },
      el("div", { class: "section-head" },
        el("strong", {}, t.ticket_no),
        el("span", {},
          el("span", { class: "badge" }, t.status_label || t.status),
          URGENCY[t.urgency] ? el("span", { class: "badge danger" }, URGENCY[t.urgency]) : null,
          t.overdue ? el("span", { class: "badge danger" }, "已超期") : null,
          t.repeat_count ? el("span", { class: "badge" }, `重复反映 ${t.repeat_count} 次`) : null)),
      el("p", {}, t.summary || ""),
      el("p", { class: "muted small" }, [category, place(t), isAdmin ? t.unit_name || t.unit_id : null]
        .filter(Boolean).join(" · ")),
      el("p", { class: "muted small" }, `办理时限：${t.deadline ? fmtTime(t.deadline) : "未定"}　登记时间：${fmtTime(t.created_at)}`),
      el("div", { class: "actions" }, note, ...buttons,
        el("button", { type: "button", class: "small", dataset: { action: "progress" }, onclick: () => progress(t, note) },
          "添加进展"),
        el("button", { type: "button", class: "ghost small", onclick: () => toggleDetail(t, detailBox) }, "详情")),
      detailBox);
  }

  async function act(t, action, note) {
    const text = note.value.trim();
    if (NEEDS_NOTE[action] && !text) {
      say($("queue-flash"), NEEDS_NOTE[action], "error");
      note.focus();
      return;
    }
    const res = await api("POST", `/api/unit/tickets/${encodeURIComponent(t.ticket_no)}/actions${unitParam("?")}`,
      { action, note: text || null });
    // Reload first, so the message appears over a list that already shows the new state.
    await Promise.all([loadQueue(), loadHistory()]);
    if (res.ok) say($("queue-flash"), `工单 ${t.ticket_no}：${LABELS[action]}成功，当前状态 ${res.data.status_label}。`, "ok");
    else say($("queue-flash"), errorText(res), "error");
  }

  async function progress(t, note) {
    const text = note.value.trim();
    if (!text) {
      say($("queue-flash"), "请先填写办理进展。", "error");
      note.focus();
      return;
    }
    const res = await api("POST", `/api/unit/tickets/${encodeURIComponent(t.ticket_no)}/progress${unitParam("?")}`, { text });
    await loadQueue();
    if (res.ok) say($("queue-flash"), `工单 ${t.ticket_no}：已记录办理进展，并告知市民。`, "ok");
    else say($("queue-flash"), errorText(res), "error");
  }

  // --- history: every ticket ever routed here, with filters and search ---
  // Filters may change faster than answers arrive: only the newest request's answer is shown.
  let historyRequest = 0;
  async function loadHistory() {
    const list = $("history");
    const status = $("history-status").value;
    const q = $("history-q").value.trim();
    const params = [unitParam(""), status ? `status=${encodeURIComponent(status)}` : "",
      q ? `q=${encodeURIComponent(q)}` : ""].filter(Boolean).join("&");
    const mine = ++historyRequest;
    const res = await api("GET", `/api/unit/history${params ? `?${params}` : ""}`);
    if (mine !== historyRequest) return;
    if (!res.ok) {
      $("history-count").textContent = "";
      return list.replaceChildren(el("li", { class: "error" }, errorText(res)));
    }
    $("history-count").textContent = `${res.data.count} 件`;
    if (!res.data.tickets.length) return list.replaceChildren(el("li", { class: "empty" }, "没有符合条件的工单。"));
    list.replaceChildren(...res.data.tickets.map((t) => {
      const detailBox = el("div", { class: "detail", hidden: true });
      return el("li", { class: "ticket", dataset: { ticketNo: t.ticket_no } },
        el("div", { class: "section-head" },
          el("strong", {}, t.ticket_no),
          el("span", {},
            el("span", { class: "badge" }, t.status_label || t.status),
            t.with_other_unit ? el("span", { class: "badge" }, `已转 ${t.unit_name || t.unit_id}`) : null)),
        el("p", {}, t.summary || ""),
        el("p", { class: "muted small" }, `${place(t)}　登记时间：${fmtTime(t.created_at)}　最近更新：${fmtTime(t.updated_at)}`),
        t.with_other_unit ? null : el("div", { class: "actions" },
          el("button", { type: "button", class: "ghost small", onclick: () => toggleDetail(t, detailBox) }, "详情")),
        detailBox);
    }));
  }

  function row(label, value) {
    return value ? [el("dt", {}, label), el("dd", {}, value)] : [];
  }

  async function toggleDetail(t, box) {
    if (!box.hidden) { box.hidden = true; return; }
    box.hidden = false;
    box.replaceChildren(el("p", { class: "muted" }, "正在加载…"));
    const res = await api("GET", `/api/unit/tickets/${encodeURIComponent(t.ticket_no)}${unitParam("?")}`);
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const d = res.data;
    const tk = d.ticket || {};
    const contact = tk.contact || {};
    const who = contact.anonymous ? "匿名" : [contact.name, contact.phone].filter(Boolean).join(" ");
    box.replaceChildren(
      el("dl", {},
        row("市民原话", tk.verbatim),
        row("发生地点", tk.location && tk.location.raw),
        row("发生时间", tk.occurred_at && tk.occurred_at.raw),
        row("联系方式", who),
        row("承办单位", d.unit && (d.unit.name || d.unit.id))),
      el("h4", {}, "办理记录"),
      el("ol", { class: "timeline" }, (d.timeline || []).map((e) => el("li", {},
        el("span", { class: "when" }, fmtTime(e.at)), el("span", {}, e.label || e.status),
        e.note ? el("span", { class: "note" }, e.note) : null))),
      (d.routing || []).length ? el("h4", {}, "派发依据") : null,
      (d.routing || []).length ? el("ul", { class: "examples" }, d.routing.map((r) =>
        el("li", {}, `${r.unit_name || r.unit_id}：${r.reason || ""}`))) : null);
  }

  $("queue-form").addEventListener("submit", (event) => { event.preventDefault(); loadQueue(); });
  $("queue-status").addEventListener("change", loadQueue);
  $("history-form").addEventListener("submit", (event) => { event.preventDefault(); loadHistory(); });
  $("history-status").addEventListener("change", loadHistory);
  loadQueue();
  loadHistory();
})();
