// The admin desk's dispatch work: tickets a unit returned and tickets past their deadline, each re-routed to
// another unit through the ticket service (the new unit sees it in its queue).
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const changed = () => document.dispatchEvent(new Event("hotline:changed"));

  async function loadUnits() {
    const res = await api("GET", "/api/admin/routing/units");
    if (!res.ok) return;
    $("all-units").replaceChildren(...res.data.map((u) => el("option", { value: u.id }, u.name)));
  }

  async function loadAttention() {
    const list = $("attention");
    const res = await api("GET", "/api/admin/tickets/attention");
    if (!res.ok) return list.replaceChildren(el("li", { class: "error" }, errorText(res)));
    const d = res.data;
    $("attention-count").textContent = d.count ? `退回 ${d.returned} · 超期 ${d.overdue}` : "";
    if (!d.items.length) return list.replaceChildren(el("li", { class: "empty" }, "没有退回或超期的工单。"));
    list.replaceChildren(...d.items.map(item));
  }

  function item(t) {
    const unit = el("input", { list: "all-units", maxlength: 200, placeholder: "单位 ID，如 chaoyang.cgzf",
      "aria-label": `工单 ${t.ticket_no} 改派到的单位` });
    const reason = el("input", { maxlength: 500, placeholder: "改派原因", "aria-label": `工单 ${t.ticket_no} 的改派原因` });
    const button = el("button", { type: "button", class: "primary small", dataset: { action: "reroute" },
      onclick: () => reroute(t, unit, reason, button) }, "改派");
    const category = [t.category.level1, t.category.level2].filter(Boolean).join(" / ");
    return el("li", { class: t.overdue ? "ticket overdue" : "ticket", dataset: { ticketNo: t.ticket_no } },
      el("div", { class: "section-head" },
        el("strong", {}, t.ticket_no),
        el("span", {},
          el("span", { class: t.returned ? "badge danger" : "badge" }, t.status_label),
          t.overdue ? el("span", { class: "badge danger" }, "已超期") : null,
          t.rerouted_to ? el("span", { class: "badge ok" }, `已改派 ${t.rerouted_to.unit_name}，等待送达`) : null)),
      el("p", {}, t.summary),
      el("p", { class: "muted small" }, [category, [t.district, t.street].filter(Boolean).join(" "),
        `承办单位：${t.unit_name || "（无）"}`, t.deadline ? `时限 ${fmtTime(t.deadline)}` : ""].filter(Boolean).join(" · ")),
      t.return_reason ? el("p", { class: "small return-reason" }, `退回原因：${t.return_reason}`) : null,
      el("div", { class: "actions" }, unit, reason, button));
  }

  async function reroute(t, unit, reason, button) {
    const unitId = unit.value.trim();
    if (!unitId) return say($("attention-flash"), "请选择改派到的单位。", "error");
    if (!reason.value.trim()) return say($("attention-flash"), "请填写改派原因。", "error");
    button.disabled = true;
    const res = await api("POST", `/api/admin/tickets/${encodeURIComponent(t.ticket_no)}/route`,
      { unit_id: unitId, reason: reason.value.trim() });
    button.disabled = false;
    if (!res.ok) return say($("attention-flash"), errorText(res), "error");
    await loadAttention();
    say($("attention-flash"), `工单 ${t.ticket_no} 已改派至${(res.data.unit || {}).name || unitId}`, "ok");
    changed();
  }

  $("attention-refresh").addEventListener("click", loadAttention);
  loadUnits();
  loadAttention();
})();
