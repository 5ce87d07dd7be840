// The agent desk: pushed live (server-sent events): the handoff queue, live sessions, emergency alerts and
// one conversation, which the agent takes, answers and hands back or closes. Call assist is calls.js.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, fmtWait, say } = Hotline;
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

  const desk = $("desk");
  const me = desk.dataset.staffName || "";
  const ROLE = { citizen: "市民", bot: "智能助手", agent: "人工客服" };
  let current = null;   // the session open in the conversation card
  let seen = null;      // the last transcript shown (its last seq), so a push redraws only on change
  let source = null;    // the desk's event stream
  let lastDesk = null;

  function holderText(s) {
    if (s.handoff_status === "with_agent" || s.status === "with_agent") {
      return s.agent === me ? "由我处理中" : `坐席 ${s.agent} 处理中`;
    }
    return null;
  }

  function sessionItem(s) {
    const holder = holderText(s);
    const badges = [
      el("span", { class: "badge" }, CHANNELS[s.channel] || s.channel),
      s.handoff_status === "queued" ? el("span", { class: "badge danger" }, "等待人工") : null,
      holder ? el("span", { class: "badge ok holder" }, holder) : null,
      s.emergencies ? el("span", { class: "badge danger" }, "紧急") : null,
      s.draft_open ? el("span", { class: "badge" }, AWAITING[s.awaiting] || "草稿待补充") : null,
      s.tickets && s.tickets.length ? el("span", { class: "badge ok" }, `已登记 ${s.tickets.length} 件`) : null,
    ];
    return el("li", { class: "ticket", dataset: { sessionId: s.session_id } },
      el("div", { class: "section-head" }, el("strong", {}, s.session_id), el("span", {}, ...badges)),
      el("p", { class: "muted small" }, `最近活动：${fmtTime(s.last_activity)}`),
      el("p", { class: "last-message" }, s.last_citizen_message || "（暂无市民消息）"),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "ghost small", onclick: () => openSession(s.session_id) }, "查看会话")));
  }

  function queueItem(q) {
    const holder = holderText(q);
    const wait = q.status === "queued"
      ? el("span", { class: "wait", dataset: { since: q.requested_at } }, `已等待 ${fmtWait(secondsSince(q.requested_at))}`)
      : el("span", {}, `接入时间：${fmtTime(q.taken_at)}`);
    const canTake = q.status === "queued" || q.agent === me;
    return el("li", { class: "ticket", dataset: { sessionId: q.session_id, status: q.status } },
      el("div", { class: "section-head" },
        el("strong", {}, q.session_id),
        el("span", {},
          el("span", { class: "badge" }, CHANNELS[q.channel] || q.channel),
          el("span", { class: "badge danger reason" }, q.reason_label || q.reason),
          q.position ? el("span", { class: "badge" }, `第 ${q.position} 位`) : null,
          holder ? el("span", { class: "badge ok holder" }, holder) : null)),
      el("p", { class: "muted small" }, `申请时间：${fmtTime(q.requested_at)}　`, wait),
      el("p", { class: "last-message" }, q.last_citizen_message || "（暂无市民消息）"),
      el("div", { class: "actions" },
        q.status === "queued" ? el("button", { type: "button", class: "primary small take",
          onclick: () => take(q.session_id) }, "接入") : null,
        el("button", { type: "button", class: "ghost small", onclick: () => openSession(q.session_id) },
          canTake ? "查看会话" : "旁听会话")));
  }

  // An emergency heard in a call (call assist) names the call and the agent taking it; there is no chat to open.
  function alertItem(a) {
    const where = a.call_id ? `来电 ${a.call_id}（坐席 ${a.agent || "未知"}）` : `会话 ${a.session_id}`;
    return el("li", { class: "ticket overdue", dataset: { sessionId: a.session_id } },
      el("div", { class: "section-head" },
        el("strong", {}, a.kind_label),
        el("span", {}, el("span", { class: "badge danger" }, (a.numbers || []).join(" / ")),
          el("span", { class: "badge" }, CHANNELS[a.channel] || a.channel))),
      el("p", { class: "muted small alert-source" }, `${fmtTime(a.at)} · ${where}`),
      el("p", {}, a.text),
      a.call_id ? null : el("div", { class: "actions" },
        el("button", { type: "button", class: "ghost small", onclick: () => openSession(a.session_id) }, "查看会话")));
  }

  function secondsSince(iso) {
    const t = new Date(iso).getTime();
    return Number.isNaN(t) ? 0 : (Date.now() - t) / 1000;
  }

  function fill(listId, countId, items, render, empty) {
    $(countId).textContent = `${items.length}`;
    $(listId).replaceChildren(...(items.length ? items.map(render) : [el("li", { class: "empty" }, empty)]));
  }

  function showDesk(data) {
    lastDesk = data;
    fill("handoff", "handoff-count", data.handoff, queueItem, "当前没有等待人工的会话。");
    fill("sessions", "sessions-count", data.sessions, sessionItem, "暂无会话。");
    fill("alerts", "alerts-count", data.alerts, alertItem, "最近 24 小时没有紧急警报。");
    if (current && data.conversation && data.conversation.session_id === current) showConversation(data.conversation);
  }

  // Wait times count up on the page between pushes; the data itself only changes when the server pushes.
  setInterval(() => {
    for (const node of document.querySelectorAll(".wait[data-since]")) {
      node.textContent = `已等待 ${fmtWait(secondsSince(node.dataset.since))}`;
    }
  }, 1000);

  function connect() {
    if (source) source.close();
    const status = $("live-status");
    const url = `/api/agent/events${current ? `?watch=${encodeURIComponent(current)}` : ""}`;
    source = new EventSource(url);
    source.addEventListener("desk", (event) => {
      status.textContent = "实时更新中";
      status.className = "badge ok";
      status.dataset.live = "on";
      showDesk(JSON.parse(event.data));
    });
    source.addEventListener("error", async () => {
      status.textContent = "连接中断，正在重连…";
      status.className = "badge danger";
      status.dataset.live = "off";
      if (source.readyState === EventSource.CLOSED) {
        // A refused stream (signed out, or the server restarted): check the sign-in, then try again.
        await api("GET", "/api/agent/handoff");
        setTimeout(connect, 3000);
      }
    });
  }

  function showConversation(data) {
    const last = data.messages.length ? data.messages[data.messages.length - 1].seq : 0;
    const h = data.handoff;
    const mine = h && h.status === "with_agent" && h.agent === me;
    const other = h && h.status === "with_agent" && h.agent !== me;
    const holder = $("conv-holder");
    holder.textContent = mine ? "由我处理中" : other ? `坐席 ${h.agent} 处理中` : h && h.status === "queued"
      ? `等待人工（${h.reason_label}）` : "智能助手服务中";
    holder.className = other ? "badge danger" : "badge ok";
    $("conv-take").hidden = Boolean(mine || other);
    $("conv-release").hidden = !mine;
    $("conv-close").hidden = !mine;
    $("conv-form").hidden = !mine;
    const key = `${data.session_id}:${last}:${h ? `${h.status}:${h.agent}` : ""}`;
    if (key === seen) return;
    seen = key;
    const box = $("conv");
    box.replaceChildren(...data.messages.map((m) => el("div", {
      class: `msg ${m.role === "citizen" ? "user" : m.role}`, dataset: { seq: m.seq } },
      el("div", { class: "sender" }, `${ROLE[m.role] || m.role}${m.author ? `（${m.author}）` : ""} · ${fmtTime(m.created_at)}`),
      el("div", { class: "bubble" }, el("div", { class: "text" }, m.text)))));
    box.scrollTop = box.scrollHeight;
  }

  async function openSession(sessionId) {
    const res = await api("GET", `/api/agent/sessions/${encodeURIComponent(sessionId)}`);
    const card = $("conv-card");
    card.hidden = false;
    $("conv-id").textContent = sessionId;
    say($("conv-flash"), "", "");
    if (!res.ok) return $("conv").replaceChildren(el("p", { class: "error" }, errorText(res)));
    const changed = current !== sessionId;
    current = sessionId;
    seen = null;
    showConversation(res.data);
    if (changed) connect();  // the stream now carries this transcript too
    card.scrollIntoView({ block: "nearest" });
  }

  async function move(action, sessionId) {
    const sid = sessionId || current;
    const res = await api("POST", `/api/agent/sessions/${encodeURIComponent(sid)}/${action}`);
    if (!res.ok) {
      if (sid !== current) await openSession(sid);
      return say($("conv-flash"), errorText(res), "error");
    }
    const done = { take: "已接入，智能助手已暂停回复。", release: "已交回智能助手。", close: "会话已结束。" }[action];
    await openSession(sid);
    say($("conv-flash"), done, "ok");
    if (action === "take") $("conv-text").focus();
  }

  const take = (sid) => move("take", sid);
  $("conv-take").addEventListener("click", () => move("take"));
  $("conv-release").addEventListener("click", () => move("release"));
  $("conv-close").addEventListener("click", () => move("close"));

  async function send(event) {
    event.preventDefault();
    const text = $("conv-text").value.trim();
    if (!text) return say($("conv-flash"), "请输入回复内容。", "error");
    const button = $("conv-form").querySelector("button[type=submit]");
    button.disabled = true;
    const res = await api("POST", `/api/agent/sessions/${encodeURIComponent(current)}/messages`, { text });
    button.disabled = false;
    if (!res.ok) return say($("conv-flash"), errorText(res), "error");
    $("conv-text").value = "";
    say($("conv-flash"), "", "");
    await openSession(current);
  }
  $("conv-form").addEventListener("submit", send);
  $("conv-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) send(event);
  });

  connect();
})();
