// The admin desk's staff accounts: the list, and new accounts; a unit account is picked from the routing table.
"use strict";

(() => {
  const { el, staffApi: api, errorText, fmtTime, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const ROLES = { admin: "管理员", agent: "坐席", unit: "承办单位", analyst: "数据分析" };

  async function loadUnits() {
    const [units, routing] = await Promise.all([api("GET", "/api/admin/routing/units"), api("GET", "/api/admin/routing")]);
    if (!units.ok || !routing.ok) return say($("accounts-flash"), errorText(units.ok ? routing : units), "error");
    // City units first, then one group per district (a district unit's id starts with the district's code).
    const districts = new Map(routing.data.table.districts.map((d) => [d.code, d.name]));
    const groups = new Map();
    for (const u of units.data) {
      const code = u.id.split(".")[0];
      const key = districts.get(code) || "市级单位";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(u);
    }
    $("account-unit").replaceChildren(el("option", { value: "" }, "请选择单位"),
      ...[...groups].map(([label, list]) => el("optgroup", { label },
        list.map((u) => el("option", { value: u.id }, `${u.name}（${u.id}）`)))));
  }

  async function loadAccounts() {
    const box = $("accounts");
    const res = await api("GET", "/api/admin/accounts");
    if (!res.ok) return box.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const rows = res.data.accounts;
    $("accounts-count").textContent = `${rows.length} 个`;
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["账号", "角色", "单位", "创建时间"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((a) => el("tr", { dataset: { name: a.name } },
        el("td", {}, a.name),
        el("td", {}, ROLES[a.role] || a.role),
        el("td", { class: "small" }, a.unit_name || ""),
        el("td", { class: "small" }, fmtTime(a.created_at)))))));
  }

  function showRole() {
    const unit = $("account-role").value === "unit";
    $("account-unit-field").hidden = !unit;
    $("account-name-field").hidden = unit;
  }

  $("account-role").addEventListener("change", showRole);
  $("account-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const role = $("account-role").value;
    const name = role === "unit" ? $("account-unit").value : $("account-name").value.trim();
    if (!name) return say($("accounts-flash"), role === "unit" ? "请从路由表中选择承办单位。" : "请填写账号名。", "error");
    const res = await api("POST", "/api/admin/accounts", { name, role, password: $("account-password").value });
    if (!res.ok) return say($("accounts-flash"), errorText(res), "error");
    $("account-password").value = "";
    $("account-name").value = "";
    await loadAccounts();
    const unit = res.data.unit_name ? `（${res.data.unit_name}）` : "";
    say($("accounts-flash"), `已创建${ROLES[res.data.role]}账号 ${res.data.name}${unit}`, "ok");
    document.dispatchEvent(new Event("hotline:changed"));
  });

  showRole();
  loadUnits();
  loadAccounts();
})();
