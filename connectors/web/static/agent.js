// The agent desk: live sessions, the handoff queue, one conversation, and call assist.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);

  const AWAITING = {
    location: "等待地点", contact_phone: "等待电话", confirmation: "等待确认", description: "等待描述",
    occurred_at: "等待时间",
  };
  const INTENTS = {
    consult: "咨询", help: "求助", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬",
    status_query: "查询进度", emergency: "紧急", other: "其他",
  };
  const URGENCY = { emergency: "紧急", urgent: "加急", normal: "一般" };
  const CHANNELS = { web: "网页", wechat: "微信", agent: "电话", api: "接口", cli: "批量" };

  function sessionItem(s, extra) {
    const badges = [
      el("span", { class: "badge" }, CHANNELS[s.channel] || s.channel),
      extra ? el("span", { class: "badge danger" }, extra) : null,
      s.emergency ? el("span", { class: "badge danger", dataset: { emergency: s.emergency.kind } },
        `紧急 ${(s.emergency.numbers || []).join("/")}`) : null,
      s.draft_open ? el("span", { class: "badge" }, AWAITING[s.awaiting] || "草稿待补充") : null,
      s.tickets && s.tickets.length ? el("span", { class: "badge ok" }, `已登记 ${s.tickets.length} 件`) : null,
    ];
    return el("li", { class: "ticket", dataset: { sessionId: s.session_id } },
      el("div", { class: "section-head" },
        el("strong", {}, s.session_id),
        el("span", {}, ...badges)),
      el("p", { class: "muted small" }, `最近活动：${fmtTime(s.last_activity)}`),
      el("p", { class: "last-message" }, s.last_citizen_message || "（暂无市民消息）"),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "ghost small", onclick: () => openSession(s.session_id) }, "查看会话")));
  }

  async function loadList(url, listId, countId, empty, label) {
    const list = $(listId);
    const res = await api("GET", url);
    if (!res.ok) {
      $(countId).textContent = "";
      return list.replaceChildren(el("li", { class: "error" }, errorText(res)));
    }
    $(countId).textContent = `${res.data.count}`;
    if (!res.data.sessions.length) return list.replaceChildren(el("li", { class: "empty" }, empty));
    list.replaceChildren(...res.data.sessions.map((s) => sessionItem(s, label ? label(s) : null)));
  }

  const loadSessions = () => loadList("/api/agent/sessions?limit=50", "sessions", "sessions-count", "暂无会话。");
  const loadHandoff = () => loadList("/api/agent/handoff", "handoff", "handoff-count", "当前没有等待人工的会话。",
    (s) => s.reason_label);

  async function openSession(sessionId) {
    const res = await api("GET", `/api/agent/sessions/${encodeURIComponent(sessionId)}`);
    const card = $("conv-card");
    card.hidden = false;
    $("conv-id").textContent = sessionId;
    const box = $("conv");
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    box.replaceChildren(...res.data.messages.map((m) => el("div", { class: `msg ${m.role === "citizen" ? "user" : "bot"}` },
      el("div", { class: "sender" }, `${m.role === "citizen" ? "市民" : "助手"} · ${fmtTime(m.created_at)}`),
      el("div", { class: "bubble" }, el("div", { class: "text" }, m.text)))));
    card.scrollIntoView({ block: "nearest" });
  }

  function field(label, value) {
    return [el("dt", {}, label), el("dd", { class: value ? "" : "muted" }, value || "（未提及）")];
  }

  function showAssist(data) {
    const reply = data.suggested_reply;
    const draft = data.ticket_draft;
    $("assist-reply").textContent = reply.answer;
    const badge = $("assist-grounded");
    badge.textContent = reply.grounded ? "有据可依" : "知识库无依据";
    badge.className = reply.grounded ? "badge ok" : "badge danger";
    const cites = reply.citations || [];
    $("assist-citations").replaceChildren(...(cites.length ? [
      el("span", { class: "cite-label" }, reply.grounded ? "依据：" : "相关资料（仅供参考）："),
      el("ul", {}, ...cites.map((c) => el("li", { class: "citation" },
        el("span", { class: "cite-heading" }, c.title || c.doc_id), " ",
        el("code", { class: "cite-id" }, c.doc_id)))),
    ] : []));
    const loc = draft.location || {};
    const category = draft.category ? [draft.category.level1, draft.category.level2].filter(Boolean).join(" / ") : "";
    $("assist-draft").replaceChildren(
      ...field("诉求类型", INTENTS[draft.intent] || draft.intent),
      ...field("分类", category),
      ...field("承办部门", draft.department),
      ...field("紧急程度", URGENCY[draft.urgency] || draft.urgency),
      ...field("地点", loc.raw || [loc.district, loc.street].filter(Boolean).join(" ")),
      ...field("发生时间", draft.time),
      ...field("联系电话", draft.phone),
      ...field("摘要", draft.summary));
    $("assist-result").hidden = false;
  }

  $("assist-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("assist-text").value.trim();
    if (!text) return say($("assist-flash"), "请输入来电人所说的内容。", "error");
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    say($("assist-flash"), "正在分析……", "");
    const res = await api("POST", "/api/agent/assist", { text });
    button.disabled = false;
    if (!res.ok) return say($("assist-flash"), errorText(res), "error");
    say($("assist-flash"), "", "");
    showAssist(res.data);
  });

  $("sessions-refresh").addEventListener("click", loadSessions);
  $("handoff-refresh").addEventListener("click", loadHandoff);
  loadSessions();
  loadHandoff();
  setInterval(() => { loadSessions(); loadHandoff(); }, 30000);
})();
