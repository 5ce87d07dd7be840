// The admin desk's audit log: every staff action with who, when, what and the values before and after.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime } = Hotline;
  const $ = (id) => document.getElementById(id);

  const shown = (value) => (value === null || value === undefined ? "" : JSON.stringify(value, null, 1));

  const PAGE = 100;
  let oldest = null;

  function row(e) {
    return el("tr", { dataset: { action: e.action } },
      el("td", { class: "small" }, fmtTime(e.at)),
      el("td", { class: "small" }, e.actor, e.role ? el("span", { class: "muted" }, `（${e.role}）`) : null),
      el("td", {}, el("code", {}, e.action)),
      el("td", { class: "small" }, e.target || ""),
      el("td", {}, el("div", { class: "diff audit-before" }, shown(e.before))),
      el("td", {}, el("div", { class: "diff audit-after" }, shown(e.after))));
  }

  // The newest entries first; "更早的记录" pages back from the oldest shown.
  async function loadAudit(more) {
    const box = $("audit");
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const [key, id] of [["actor", "audit-actor"], ["action", "audit-action"], ["target", "audit-target"]]) {
      const value = $(id).value.trim();
      if (value) params.set(key, value);
    }
    if (more === true && oldest) params.set("before_id", String(oldest));
    const res = await api("GET", `/api/admin/audit?${params}`);
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const entries = res.data.entries;
    $("audit-more").hidden = entries.length < PAGE;
    if (entries.length) oldest = entries[entries.length - 1].id;
    if (more === true) {
      const body = box.querySelector("tbody");
      if (body) body.append(...entries.map(row));
      return;
    }
    if (!entries.length) return box.replaceChildren(el("p", { class: "empty" }, "没有符合条件的记录。"));
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["时间", "账号", "操作", "对象", "变更前", "变更后"].map((h) => el("th", {}, h)))),
      el("tbody", {}, entries.map(row))));
  }

  $("audit-more").addEventListener("click", () => loadAudit(true));
  $("audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit();
  });
  $("audit-action").addEventListener("change", () => loadAudit());
  // Other sections announce their writes, so the log shows them without a reload.
  document.addEventListener("hotline:changed", () => loadAudit());
  loadAudit();
})();
