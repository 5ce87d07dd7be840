// The admin desk's audit log: every staff action with who, when, what and the values before and after.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime } = Hotline;
  const $ = (id) => document.getElementById(id);

  const shown = (value) => (value === null || value === undefined ? "" : JSON.stringify(value, null, 1));

  async function loadAudit() {
    const box = $("audit");
    const params = new URLSearchParams({ limit: "100" });
    for (const [key, id] of [["actor", "audit-actor"], ["action", "audit-action"], ["target", "audit-target"]]) {
      const value = $(id).value.trim();
      if (value) params.set(key, value);
    }
    const res = await api("GET", `/api/admin/audit?${params}`);
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const entries = res.data.entries;
    if (!entries.length) return box.replaceChildren(el("p", { class: "empty" }, "没有符合条件的记录。"));
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["时间", "账号", "操作", "对象", "变更前", "变更后"].map((h) => el("th", {}, h)))),
      el("tbody", {}, entries.map((e) => el("tr", { dataset: { action: e.action } },
        el("td", { class: "small" }, fmtTime(e.at)),
        el("td", { class: "small" }, e.actor, e.role ? el("span", { class: "muted" }, `（${e.role}）`) : null),
        el("td", {}, el("code", {}, e.action)),
        el("td", { class: "small" }, e.target || ""),
        el("td", {}, el("div", { class: "diff audit-before" }, shown(e.before))),
        el("td", {}, el("div", { class: "diff audit-after" }, shown(e.after))))))));
  }

  $("audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit();
  });
  $("audit-action").addEventListener("change", loadAudit);
  // Other sections announce their writes, so the log shows them without a reload.
  document.addEventListener("hotline:changed", loadAudit);
  loadAudit();
})();
