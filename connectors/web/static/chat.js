// The citizen chat: one random 128-bit session id per browser (localStorage), streamed answers whose sources
// open in place, handoff to a person (agent messages are polled from the transcript), and ticket cards that
// show progress and take added information and ratings.
"use strict";

(() => {
  const { el, api, errorText, fmtTime, STATUS_LABELS } = Hotline;
  const SESSION_KEY = "hotline.session_id";
  const LOG_KEY = "hotline.transcript";
  const AWAIT_KEY = "hotline.awaiting";
  const SEQ_KEY = "hotline.seq";
  const MAX_ENTRIES = 100;
  const LONG_REPLY = 360; // characters; longer replies are folded with “展开全文”
  const POLL_MS = 2500;

  const HINTS = {
    description: { text: "请具体描述您遇到的问题", quick: [] },
    location: { text: "请补充问题发生的地点（区、街道、小区或门牌号）", quick: [] },
    contact_phone: { text: "请留下联系电话，方便承办单位联系您", quick: ["匿名"] },
    occurred_at: { text: "请补充问题发生的时间", quick: [] },
    contact_name: { text: "请补充您的称呼", quick: [] },
    confirmation: { text: "请核对上面的工单信息：无误请确认提交，需要修改请直接说明", quick: ["确认", "取消"] },
  };
  const WELCOME = "您好，我是 12345 热线智能助手。\n您可以咨询政策办事问题，也可以反映投诉、求助、举报或建议，我会帮您登记工单并派发到承办单位。需要人工服务时，直接说“找人工”即可。";

  const messages = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const send = document.getElementById("send");
  const hint = document.getElementById("hint");
  const hintText = document.getElementById("hint-text");
  const quick = document.getElementById("quick");
  const banner = document.getElementById("handoff");

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
  let lastSeq = Number((storage() && storage().getItem(SEQ_KEY)) || 0);

  function saveTranscript() {
    const store = storage();
    transcript = transcript.slice(-MAX_ENTRIES);
    if (store) store.setItem(LOG_KEY, JSON.stringify(transcript));
  }

  function noteSeq(seq) {
    if (typeof seq === "number" && seq > lastSeq) {
      lastSeq = seq;
      const store = storage();
      if (store) store.setItem(SEQ_KEY, String(lastSeq));
    }
  }

  // --- sources: the title opens the cited passage in place (no internal ids are shown) ---
  function citationList(citations) {
    const seen = new Set();
    const items = [];
    for (const c of citations || []) {
      if (!c || seen.has(c.chunk_id)) continue;
      seen.add(c.chunk_id);
      const panel = el("div", { class: "passage", hidden: true });
      const label = `《${c.title}》` + (c.heading ? ` ${c.heading}` : "");
      const button = el("button", { type: "button", class: "cite-open", "aria-expanded": "false",
        onclick: () => togglePassage(c.chunk_id, button, panel) }, label);
      items.push(el("li", { class: "citation" }, button, panel));
    }
    if (!items.length) return null;
    return el("div", { class: "citations" }, el("p", { class: "cite-label" }, "参考依据（点击查看原文）"), el("ul", {}, items));
  }

  async function togglePassage(chunkId, button, panel) {
    if (!panel.hidden) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    if (panel.dataset.loaded) return;
    panel.replaceChildren(el("span", { class: "muted" }, "正在加载原文…"));
    const res = await api("GET", `/api/passages/${encodeURIComponent(chunkId)}`);
    if (res.ok && res.data) {
      const path = (res.data.heading_path || []).filter((h) => h && h !== res.data.title).join(" › ");
      panel.replaceChildren(
        path ? el("span", { class: "passage-path" }, `${res.data.title} › ${path}`) : null,
        el("span", { class: "passage-text" }, res.data.text));
      panel.dataset.loaded = "1";
    } else {
      panel.replaceChildren(el("span", { class: "error" }, errorText(res)));
    }
  }

  // --- ticket cards: progress, added information, rating ---
  function ticketCard(ticket) {
    if (!ticket || !ticket.ticket_no) return null;
    const no = ticket.ticket_no;
    const status = el("p", { class: "card-status" }, "状态：", STATUS_LABELS[ticket.status] || ticket.status || "");
    const panel = el("div", { class: "panel", hidden: true });
    const card = el("div", { class: "ticket-card", dataset: { ticketNo: no } },
      el("p", {}, "工单已提交"),
      el("p", {}, "工单号：", el("strong", { class: "ticket-no" }, no)),
      status,
      el("div", { class: "actions" },
        el("button", { type: "button", class: "ghost small card-refresh", onclick: () => refreshCard(no, status, panel) }, "查看进度"),
        el("button", { type: "button", class: "ghost small card-add", onclick: () => infoPanel(no, panel, status) }, "补充信息")),
      panel);
    return card;
  }

  async function refreshCard(no, status, panel) {
    const res = await api("GET", `/api/chat/${encodeURIComponent(sessionId())}/tickets/${encodeURIComponent(no)}`);
    if (!res.ok || !res.data) {
      status.replaceChildren(el("span", { class: "error" }, errorText(res)));
      return;
    }
    const t = res.data;
    status.replaceChildren("状态：", el("span", { class: `badge status-${t.status}` }, t.status_label || t.status),
      t.rating ? el("span", { class: "rated" }, ` 已评价：${t.rating.rating}`) : null);
    const steps = (t.timeline || []).map((e) => el("li", {}, el("span", { class: "when" }, fmtTime(e.at)), " ",
      el("span", { class: "what" }, e.label || e.status), e.note && e.note !== e.label ? el("span", { class: "note" }, `：${e.note}`) : null));
    const parts = [el("ol", { class: "timeline" }, steps)];
    if (t.can_rate && !t.rating) parts.push(ratingControls(no, status, panel));
    panel.replaceChildren(...parts);
    panel.hidden = false;
  }

  function ratingControls(no, status, panel) {
    const comment = el("textarea", { class: "rate-comment", placeholder: "意见（可不填）", maxlength: "2000" });
    const buttons = ["满意", "基本满意", "不满意"].map((level) => el("button", { type: "button", class: "chip rate",
      onclick: async () => {
        const res = await api("POST", `/api/chat/${encodeURIComponent(sessionId())}/tickets/${encodeURIComponent(no)}/rating`,
          { rating: level, comment: comment.value.trim() || null });
        if (res.ok) {
          await refreshCard(no, status, panel);
          append({ who: "system", text: level === "不满意" ? `已记录您的评价：不满意。工单 ${no} 已重新交办，我们会督促再次处理。`
            : `感谢您的评价：${level}。` });
        } else {
          panel.append(el("p", { class: "error" }, errorText(res)));
        }
      } }, level));
    return el("div", { class: "rate-box" }, el("p", {}, "请评价办理结果："), el("div", { class: "actions" }, buttons), comment);
  }

  function infoPanel(no, panel, status) {
    const box = el("textarea", { class: "info-text", placeholder: "需要补充的情况（如新的线索、时间、照片说明）", maxlength: "2000" });
    const say = el("p", { class: "muted small" });
    const submitInfo = el("button", { type: "button", class: "primary small info-send", onclick: async () => {
      const text = box.value.trim();
      if (!text) { say.textContent = "请写下需要补充的内容。"; return; }
      const res = await api("POST", `/api/chat/${encodeURIComponent(sessionId())}/tickets/${encodeURIComponent(no)}/information`, { text });
      if (res.ok) {
        box.value = "";
        say.textContent = "已补充到工单，承办单位会看到。";
        say.className = "ok small info-done";
      } else {
        say.textContent = errorText(res);
        say.className = "error small";
      }
    } }, "提交补充");
    panel.replaceChildren(box, submitInfo, say);
    panel.hidden = false;
    box.focus();
  }

  // --- messages ---
  function renderEntry(entry) {
    const text = el("p", { class: "text" }, entry.text);
    const bubble = el("div", { class: "bubble" }, text);
    const classes = ["msg", entry.who];
    if (entry.who === "bot") {
      const cites = citationList(entry.citations);
      const ticket = ticketCard(entry.ticket);
      if (cites) bubble.append(cites);
      if (ticket) bubble.append(ticket);
    }
    const who = { user: "我", bot: "助手", system: "提示", agent: "人工客服" }[entry.who] || "";
    if (entry.emergency) classes.push("emergency");
    if (entry.error) classes.push("error");
    const node = el("li", { class: classes.join(" ") }, el("span", { class: "sender" }, who), bubble);
    foldIfLong(node, text);
    return node;
  }

  function foldIfLong(node, text) {
    if ((text.textContent || "").length <= LONG_REPLY || node.querySelector(".expand")) return;
    node.classList.add("collapsed");
    const more = el("button", { type: "button", class: "ghost small expand", onclick: () => {
      const open = node.classList.toggle("collapsed");
      more.textContent = open ? "展开全文" : "收起";
    } }, "展开全文");
    text.after(more);
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

  // --- handoff: the banner, and the transcript polled while a person is involved ---
  let handoffState = null;
  let pollTimer = null;

  function showHandoff(h) {
    handoffState = h ? h.status : null;
    if (!h || h.status === "returned") {
      banner.hidden = true;
      banner.removeAttribute("data-status");
    } else {
      banner.dataset.status = h.status;
      banner.textContent = h.status === "queued"
        ? `正在为您转接人工客服，您排在第 ${h.position} 位。客服接入后会直接在这里回复您。`
        : "人工客服正在为您服务。";
      banner.hidden = false;
    }
    if (h && h.status !== "returned") startPolling();
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(poll, POLL_MS);
  }

  let polling = false;
  async function poll() {
    if (busy || polling) return;
    polling = true;
    const started = turnCount;
    const res = await api("GET", `/api/chat/${encodeURIComponent(sessionId())}/messages?after=${lastSeq}`);
    polling = false;
    if (!res.ok || !res.data || started !== turnCount || busy) return;
    for (const m of res.data.messages || []) {
      if (m.seq <= lastSeq) continue;
      noteSeq(m.seq);
      if (m.role === "agent") append({ who: "agent", text: m.text });
      else if (m.role === "bot") append({ who: "bot", text: m.text, citations: [] });
    }
    showHandoff(res.data.handoff);
    if (!res.data.handoff || res.data.handoff.status === "returned") {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  // --- one turn, streamed ---
  let busy = false;
  let turnCount = 0;

  async function streamTurn(text, onDelta) {
    let response;
    try {
      response = await fetch("/api/chat/stream", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ session_id: sessionId(), text }),
      });
    } catch (err) {
      return { ok: false, status: 0, data: null };
    }
    if (!response.ok || !response.body) {
      let data = null;
      try { data = await response.json(); } catch (err) { data = null; }
      return { ok: false, status: response.status, data };
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let reply = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        let event = "message";
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (!data.length) continue;
        let payload;
        try { payload = JSON.parse(data.join("\n")); } catch (err) { continue; }
        if (event === "delta") onDelta(payload.text || "");
        else if (event === "reply") reply = payload;
      }
      if (done) break;
    }
    return reply ? { ok: true, status: 200, data: reply } : { ok: false, status: 502, data: null };
  }

  async function submit(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    busy = true;
    turnCount += 1;
    send.disabled = true;
    input.value = "";
    const userEntry = { who: "user", text };
    const userNode = append(userEntry);
    const live = el("p", { class: "text" }, "");
    const typing = el("li", { class: "msg bot typing streaming" }, el("span", { class: "sender" }, "助手"),
      el("div", { class: "bubble" }, live));
    live.textContent = "正在回复…";
    messages.append(typing);
    scrollDown();

    let started = false;
    const res = await streamTurn(text, (piece) => {
      if (!started) { live.textContent = ""; started = true; typing.classList.remove("typing"); }
      live.textContent += piece;
      scrollDown();
    });
    typing.remove();
    if (res.ok && res.data) {
      const d = res.data;
      noteSeq(d.seq);
      if (d.reply) {
        append({ who: "bot", text: d.reply, citations: d.citations || [], emergency: !!d.emergency,
          ticket: d.ticket && d.ticket.ticket_no ? { ticket_no: d.ticket.ticket_no, status: d.ticket.status } : null });
      }
      if (d.ticket && d.ticket.ticket_no) prefillLookup(d.ticket.ticket_no, false);
      showHint(d.awaiting);
      showHandoff(d.handoff);
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
      store.removeItem(SEQ_KEY);
      store.setItem(SESSION_KEY, newSessionId());
    }
    lastSeq = 0;
    transcript = [];
    messages.replaceChildren();
    append({ who: "bot", text: WELCOME }, false);
    showHint(null);
    showHandoff(null);
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
      t.rating ? el("p", { class: "muted small" }, `您的评价：${t.rating.rating}`) : null,
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

  // A signed link from the ticket card or a WeChat notice (/?ticket=…&token=…) opens the ticket at once.
  const linked = new URLSearchParams(window.location.search);
  if (linked.get("ticket") && linked.get("token")) {
    lookupNo.value = linked.get("ticket");
    api("GET", `/api/tickets/${encodeURIComponent(linked.get("ticket"))}?token=${encodeURIComponent(linked.get("token"))}`)
      .then((res) => {
        if (res.ok && res.data) renderTicket(res.data);
        else lookupResult.replaceChildren(el("p", { class: "error" }, errorText(res)));
      });
  }

  // --- start: replay this browser's conversation, or greet; pick up a pending handoff ---
  append({ who: "bot", text: WELCOME }, false);
  for (const entry of transcript) append(entry, false);
  const store = storage();
  showHint(store && store.getItem(AWAIT_KEY));
  api("GET", `/api/chat/${encodeURIComponent(sessionId())}/messages?after=${lastSeq}`).then((res) => {
    if (res.ok && res.data && res.data.handoff && res.data.handoff.status !== "returned") showHandoff(res.data.handoff);
  });
})();
