// The citizen chat: one session id per browser (localStorage), so a returning visitor carries on.
"use strict";

(() => {
  const { el, api, errorText, fmtTime, STATUS_LABELS } = Hotline;
  const SESSION_KEY = "hotline.session_id";
  const LOG_KEY = "hotline.transcript";
  const AWAIT_KEY = "hotline.awaiting";
  const MAX_ENTRIES = 100;

  const HINTS = {
    description: { text: "请具体描述您遇到的问题", quick: [] },
    location: { text: "请补充问题发生的地点（区、街道、小区或门牌号）", quick: [] },
    contact_phone: { text: "请留下联系电话，方便承办单位联系您", quick: ["匿名"] },
    occurred_at: { text: "请补充问题发生的时间", quick: [] },
    contact_name: { text: "请补充您的称呼", quick: [] },
    confirmation: { text: "请核对上面的工单信息：无误请确认提交，需要修改请直接说明", quick: ["确认", "取消"] },
  };
  const WELCOME = "您好，我是 12345 热线智能助手。\n您可以咨询政策办事问题，也可以反映投诉、求助、举报或建议，我会帮您登记工单并派发到承办单位。";

  const messages = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const send = document.getElementById("send");
  const hint = document.getElementById("hint");
  const hintText = document.getElementById("hint-text");
  const quick = document.getElementById("quick");

  function storage() {
    try { return window.localStorage; } catch (err) { return null; }
  }

  function newSessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sessionId() {
    const store = storage();
    let id = store && store.getItem(SESSION_KEY);
    if (!id) {
      id = newSessionId();
      if (store) store.setItem(SESSION_KEY, id);
    }
    return id;
  }

  function loadTranscript() {
    const store = storage();
    try { return JSON.parse((store && store.getItem(LOG_KEY)) || "[]"); } catch (err) { return []; }
  }

  let transcript = loadTranscript();

  function saveTranscript() {
    const store = storage();
    transcript = transcript.slice(-MAX_ENTRIES);
    if (store) store.setItem(LOG_KEY, JSON.stringify(transcript));
  }

  function citationList(citations) {
    const seen = new Set();
    const items = [];
    for (const c of citations || []) {
      if (!c || seen.has(c.doc_id)) continue;
      seen.add(c.doc_id);
      items.push(el("li", { class: "citation" },
        el("span", { class: "cite-title" }, `《${c.title}》`),
        c.heading ? el("span", { class: "cite-heading" }, ` ${c.heading}`) : null,
        el("code", { class: "cite-id" }, c.doc_id)));
    }
    if (!items.length) return null;
    return el("div", { class: "citations" }, el("p", { class: "cite-label" }, "参考依据"), el("ul", {}, items));
  }

  function ticketCard(ticket) {
    if (!ticket || !ticket.ticket_no) return null;
    return el("div", { class: "ticket-card" },
      el("p", {}, "工单已提交"),
      el("p", {}, "工单号：", el("strong", { class: "ticket-no" }, ticket.ticket_no)),
      el("p", {}, "状态：", STATUS_LABELS[ticket.status] || ticket.status || ""),
      el("button", { type: "button", class: "ghost small", onclick: () => prefillLookup(ticket.ticket_no) }, "查询进度"));
  }

  function renderEntry(entry) {
    const bubble = el("div", { class: "bubble" }, el("p", { class: "text" }, entry.text));
    if (entry.who === "bot") {
      const cites = citationList(entry.citations);
      const ticket = ticketCard(entry.ticket);
      if (cites) bubble.append(cites);
      if (ticket) bubble.append(ticket);
    }
    const who = { user: "我", bot: "助手", system: "提示" }[entry.who] || "";
    const classes = ["msg", entry.who];
    if (entry.emergency) classes.push("emergency");
    if (entry.error) classes.push("error");
    return el("li", { class: classes.join(" ") }, el("span", { class: "sender" }, who), bubble);
  }

  function scrollDown() {
    messages.scrollTop = messages.scrollHeight;
  }

  function append(entry, persist = true) {
    const node = renderEntry(entry);
    messages.append(node);
    if (persist) {
      transcript.push(entry);
      saveTranscript();
    }
    scrollDown();
    return node;
  }

  function showHint(awaiting) {
    const store = storage();
    if (store) {
      if (awaiting) store.setItem(AWAIT_KEY, awaiting);
      else store.removeItem(AWAIT_KEY);
    }
    quick.replaceChildren();
    if (!awaiting) {
      hint.hidden = true;
      hint.removeAttribute("data-awaiting");
      return;
    }
    const spec = HINTS[awaiting] || { text: "助手正在等待您补充信息", quick: [] };
    hintText.textContent = spec.text;
    hint.dataset.awaiting = awaiting;
    for (const word of spec.quick) {
      quick.append(el("button", { type: "button", class: "chip", onclick: () => submit(word) }, word));
    }
    hint.hidden = false;
  }

  let busy = false;

  async function submit(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    busy = true;
    send.disabled = true;
    input.value = "";
    const userEntry = { who: "user", text };
    const userNode = append(userEntry);
    const typing = el("li", { class: "msg bot typing" }, el("span", { class: "sender" }, "助手"),
      el("div", { class: "bubble" }, el("p", { class: "text" }, "正在回复…")));
    messages.append(typing);
    scrollDown();

    const res = await api("POST", "/api/chat", { session_id: sessionId(), text });
    typing.remove();
    if (res.ok && res.data) {
      const d = res.data;
      append({ who: "bot", text: d.reply, citations: d.citations || [], emergency: !!d.emergency,
        ticket: d.ticket && d.ticket.ticket_no ? { ticket_no: d.ticket.ticket_no, status: d.ticket.status } : null });
      if (d.ticket && d.ticket.ticket_no) prefillLookup(d.ticket.ticket_no, false);
      showHint(d.awaiting);
    } else {
      // The message was not taken: give it back so it can be fixed and sent again.
      userNode.remove();
      transcript = transcript.filter((e) => e !== userEntry);
      saveTranscript();
      input.value = text;
      append({ who: "system", text: errorText(res), error: true }, false);
    }
    busy = false;
    send.disabled = false;
    input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(input.value);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit(input.value);
    }
  });

  document.getElementById("new-chat").addEventListener("click", () => {
    const store = storage();
    if (store) {
      store.removeItem(LOG_KEY);
      store.removeItem(AWAIT_KEY);
      store.setItem(SESSION_KEY, newSessionId());
    }
    transcript = [];
    messages.replaceChildren();
    append({ who: "bot", text: WELCOME }, false);
    showHint(null);
    input.focus();
  });

  // --- ticket lookup ---
  const lookupForm = document.getElementById("lookup-form");
  const lookupNo = document.getElementById("lookup-no");
  const lookupLast4 = document.getElementById("lookup-last4");
  const lookupResult = document.getElementById("lookup-result");

  function prefillLookup(ticketNo, focus = true) {
    lookupNo.value = ticketNo;
    if (focus) lookupLast4.focus();
  }

  function renderTicket(t) {
    const rows = [
      el("h3", {}, `工单 ${t.ticket_no}`),
      el("p", {}, el("span", { class: `badge status-${t.status}` }, t.status_label || STATUS_LABELS[t.status] || t.status),
        t.overdue ? el("span", { class: "badge danger" }, "已超期") : null),
      t.summary ? el("p", { class: "summary" }, t.summary) : null,
      t.unit ? el("p", { class: "muted small" }, `承办单位：${t.unit.name || t.unit.id}`) : null,
      t.deadline_text ? el("p", { class: "muted small" }, `办理时限：${t.deadline_text} 前`) : null,
      t.merged_into ? el("p", { class: "muted small" }, `已并入工单 ${t.merged_into} 一并办理`) : null,
    ];
    const steps = (t.timeline || []).map((e) => el("li", {},
      el("span", { class: "when" }, fmtTime(e.at)),
      el("span", { class: "what" }, e.label || e.status),
      e.note ? el("span", { class: "note" }, e.note) : null));
    if (steps.length) rows.push(el("h4", {}, "办理进度"), el("ol", { class: "timeline" }, steps));
    lookupResult.replaceChildren(...rows.filter(Boolean));
  }

  lookupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const no = lookupNo.value.trim();
    const last4 = lookupLast4.value.trim();
    if (!no || !/^\d{4}$/.test(last4)) {
      lookupResult.replaceChildren(el("p", { class: "error" }, "请输入工单号和登记手机号的后四位数字。"));
      return;
    }
    lookupResult.replaceChildren(el("p", { class: "muted" }, "正在查询…"));
    const res = await api("GET", `/api/tickets/${encodeURIComponent(no)}?phone_last4=${encodeURIComponent(last4)}`);
    if (res.ok && res.data) renderTicket(res.data);
    else lookupResult.replaceChildren(el("p", { class: "error" }, errorText(res)));
  });

  // --- start: replay this browser's conversation, or greet ---
  append({ who: "bot", text: WELCOME }, false);
  for (const entry of transcript) append(entry, false);
  const store = storage();
  showHint(store && store.getItem(AWAIT_KEY));
})();
