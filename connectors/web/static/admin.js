// The admin desk: knowledge-base documents, hit testing, unanswered questions (answered into FAQs), dead letters.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  // What the outbox carries: deliveries to units (dispatch) and messages to citizens (notify).
  const TOPICS = { dispatch: "派单", notify: "通知" };
  const KINDS = { "ticket.dispatch": "派发工单", "ticket.info": "补充信息", "citizen.notice": "市民通知",
    "chat.message": "坐席消息" };
  const OUTCOMES = { added: "已新增", updated: "已更新（新版本）", unchanged: "内容未变化，无需更新" };

  // --- documents ---
  async function loadDocuments() {
    const res = await api("GET", "/api/admin/documents");
    const body = $("docs-body");
    if (!res.ok) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "error" }, errorText(res))));
      return;
    }
    $("doc-count").textContent = `${res.data.length} 篇`;
    if (!res.data.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "知识库还没有文档，请上传。")));
      return;
    }
    body.replaceChildren(...res.data.map((d) => el("tr", { dataset: { docId: d.doc_id } },
      el("td", {}, el("code", {}, d.doc_id)),
      el("td", {}, d.title),
      el("td", { class: "num" }, `v${d.version}`),
      el("td", { class: "num" }, d.chunk_count),
      el("td", {}, el("code", { title: d.content_hash }, (d.content_hash || "").slice(0, 12))),
      el("td", { class: "small" }, fmtTime(d.updated_at)),
      el("td", {}, el("button", { type: "button", class: "danger small", onclick: () => deleteDocument(d) }, "删除")))));
  }

  async function deleteDocument(doc) {
    if (!window.confirm(`确定删除文档“${doc.title}”（${doc.doc_id}）吗？删除后机器人将不再引用它。`)) return;
    const res = await api("DELETE", `/api/admin/documents/${encodeURIComponent(doc.doc_id)}`);
    await loadDocuments();
    if (res.ok) say($("docs-flash"), `已删除 ${doc.doc_id}`, "ok");
    else say($("docs-flash"), errorText(res), "error");
  }

  // Uploads run as background jobs: the page follows the job's progress, and chat keeps answering meanwhile.
  async function followJob(job, name) {
    for (;;) {
      if (job.state === "done" || job.state === "failed") return job;
      const shown = job.total ? `已向量化 ${job.done}/${job.total} 个分块` : "排队中";
      say($("docs-flash"), `正在入库 ${name}：${shown}…`, "");
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await api("GET", `/api/admin/uploads/${encodeURIComponent(job.job_id)}`);
      if (!res.ok) return { state: "failed", error: errorText(res) };
      job = res.data;
    }
  }

  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return say($("docs-flash"), "请选择要上传的文件。", "error");
    const button = event.target.querySelector("button");
    button.disabled = true;
    say($("docs-flash"), `正在上传并解析 ${file.name}…`, "");
    const data = new FormData();
    data.append("file", file);
    const res = await api("POST", "/api/admin/uploads", data);
    if (!res.ok) {
      button.disabled = false;
      return say($("docs-flash"), errorText(res), "error");
    }
    const job = await followJob(res.data, file.name);
    button.disabled = false;
    await loadDocuments();
    if (job.state !== "done") return say($("docs-flash"), job.error || "入库失败，请稍后重试。", "error");
    const r = job.result;
    let text = `${r.doc_id}：${OUTCOMES[r.outcome] || r.outcome}，共 ${r.chunks} 个分块。`;
    if (r.instruction_like && r.instruction_like.length) {
      text += ` 注意：文档中有 ${r.instruction_like.length} 处疑似对机器人下指令的文字（如“${r.instruction_like[0]}”），`
        + "机器人不会执行，请核实后修改文档。";
    }
    say($("docs-flash"), text, r.instruction_like && r.instruction_like.length ? "error" : "ok");
    event.target.reset();
  });

  // --- hit test ---
  function score(label, value) {
    return value === null || value === undefined ? null : `${label} ${Number(value).toFixed(3)}`;
  }

  $("hit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("hit-result");
    const query = $("hit-query").value.trim();
    if (!query) return;
    const topK = Math.min(50, Math.max(1, parseInt($("hit-topk").value, 10) || 5));
    out.replaceChildren(el("p", { class: "muted" }, "正在检索…"));
    const res = await api("POST", "/api/admin/hit-test", { query, top_k: topK });
    if (!res.ok) return out.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const r = res.data;
    const verdict = el("p", { class: "verdict" },
      el("span", { class: r.grounded ? "badge ok" : "badge danger" }, r.grounded ? "可以作答" : "不足以作答"),
      el("span", { class: "muted small" }, r.reason));
    const hits = r.chunks.map((c, i) => el("li", { class: "hit" },
      el("div", { class: "hit-head" },
        el("span", {}, `${i + 1}. 《${c.title}》`, el("code", { class: "cite-id" }, c.doc_id)),
        el("span", { class: "scores" }, [score("综合", c.score), score("向量", c.dense_score), score("BM25", c.bm25_score)]
          .filter(Boolean).join(" · "))),
      (c.heading_path || []).length ? el("div", { class: "muted small" }, c.heading_path.join(" > ")) : null,
      el("div", { class: "hit-text" }, c.text.length > 240 ? `${c.text.slice(0, 240)}…` : c.text)));
    out.replaceChildren(verdict, hits.length ? el("ol", { class: "hits" }, hits) : el("p", { class: "empty" }, "没有命中任何分块。"));
  });

  // --- unanswered questions: answer a group once, it becomes an FAQ document ---
  async function loadUnanswered() {
    const box = $("unanswered");
    const res = await api("GET", "/api/admin/unanswered");
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const groups = res.data.groups;
    $("unanswered-count").textContent = groups.length ? `${groups.length} 组` : "";
    if (!groups.length) return box.replaceChildren(el("p", { class: "empty" }, "暂无未能回答的问题。"));
    box.replaceChildren(el("ol", { class: "groups" }, groups.map(groupItem)));
  }

  function groupItem(g) {
    const title = el("input", { value: g.topic || "", maxlength: 100, "aria-label": `问题组“${g.topic}”的标题` });
    const answer = el("textarea", { rows: 3, maxlength: 5000, placeholder: "写下答复，保存后成为知识库中的常见问题，之后的类似提问将据此回答",
      "aria-label": `问题组“${g.topic}”的答复` });
    const button = el("button", { type: "button", class: "primary small", onclick: () => answerGroup(g, title, answer, button) },
      "写入知识库");
    return el("li", { class: "group", dataset: { groupId: g.id } },
      el("div", { class: "section-head" },
        el("strong", {}, g.topic || "（未归类）"),
        el("span", { class: "muted small" }, `${g.count} 次 · 最近 ${fmtTime(g.last_asked)}`)),
      el("ul", { class: "examples" }, (g.questions || []).slice(0, 5).map((q) => el("li", {}, q))),
      el("div", { class: "answer-form" }, el("label", {}, "常见问题标题", title), answer, button));
  }

  async function answerGroup(g, title, answer, button) {
    const text = answer.value.trim();
    if (!text) {
      say($("unanswered-flash"), "请先填写答复内容。", "error");
      answer.focus();
      return;
    }
    button.disabled = true;
    const res = await api("POST", `/api/admin/unanswered/${encodeURIComponent(g.id)}/answer`,
      { answer: text, title: title.value.trim() || null });
    button.disabled = false;
    if (!res.ok) return say($("unanswered-flash"), errorText(res), "error");
    say($("unanswered-flash"), `已写入知识库文档 ${res.data.doc_id}，关闭 ${res.data.closed} 个提问。`, "ok");
    await Promise.all([loadUnanswered(), loadDocuments()]);
  }

  // --- dead letters ---
  async function loadDeadLetters() {
    const box = $("dead");
    const res = await api("GET", "/api/admin/dead-letters");
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    $("dead-count").textContent = `${res.data.count} 条`;
    if (!res.data.items.length) return box.replaceChildren(el("p", { class: "empty" }, "没有投递失败的消息。"));
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["编号", "类型", "工单号", "尝试次数", "最后错误", "更新时间", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, res.data.items.map((d) => el("tr", { dataset: { id: d.id } },
        el("td", { class: "num" }, d.id),
        el("td", {}, `${TOPICS[d.topic] || d.topic} · ${KINDS[d.kind] || d.kind}`),
        el("td", {}, d.ticket_no || ""),
        el("td", { class: "num" }, d.attempts),
        el("td", { class: "small" }, d.last_error || ""),
        el("td", { class: "small" }, fmtTime(d.updated_at)),
        el("td", {}, el("button", { type: "button", class: "small", onclick: () => retry(d) }, "重新投递")))))));
  }

  async function retry(item) {
    const res = await api("POST", `/api/admin/dead-letters/${encodeURIComponent(item.id)}/retry`);
    await loadDeadLetters();
    if (res.ok) {
      say($("dead-flash"), `投递记录 ${item.id} 已重新排队`, "ok");
      document.dispatchEvent(new Event("hotline:changed"));
    }
    else say($("dead-flash"), errorText(res), "error");
  }

  $("unanswered-refresh").addEventListener("click", loadUnanswered);
  $("dead-refresh").addEventListener("click", loadDeadLetters);
  loadDocuments();
  loadUnanswered();
  loadDeadLetters();
})();
