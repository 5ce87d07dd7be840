// The admin desk's data tables: the routing table (rules edited one at a time), the routing test box, and the
// taxonomy's second level. The server validates every edit and answers a refused one with the reason.
"use strict";

(() => {
  const { el, staffApi: api, errorText, say } = Hotline;
  const $ = (id) => document.getElementById(id);
  const LISTS = ["category_l1", "category_l2", "districts", "streets", "intents", "keywords"];
  const FIELD = { category_l1: "rule-l1", category_l2: "rule-l2", districts: "rule-districts",
    streets: "rule-streets", intents: "rule-intents", keywords: "rule-keywords" };
  const MATCH_LABELS = { category_l1: "一级分类", category_l2: "二级分类", districts: "区", streets: "街道",
    intents: "诉求类型", keywords: "关键词" };
  let table = null;
  let tax = null;

  const changed = () => document.dispatchEvent(new Event("hotline:changed"));
  const splitList = (text) => text.split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);

  // --- routing table ---
  function unitLabel(ref) {
    if (ref === "street_office") return "所在街道办事处（乡镇政府）";
    if (ref.startsWith("district:")) {
      const unit = table.district_units.find((u) => u.key === ref.slice("district:".length));
      return unit ? unit.name.replace("{district}", "所在区") : ref;
    }
    const unit = table.units.find((u) => u.id === ref);
    return unit ? unit.name : ref;
  }

  function conditions(match) {
    return LISTS.filter((k) => (match[k] || []).length)
      .map((k) => `${MATCH_LABELS[k]}：${match[k].join("、")}`).join("；");
  }

  async function loadRouting() {
    const res = await api("GET", "/api/admin/routing");
    const body = $("rules-body");
    if (!res.ok) return body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "error" }, errorText(res))));
    table = res.data.table;
    $("routing-version").textContent = `版本 ${res.data.version} · ${table.rules.length} 条规则`;
    body.replaceChildren(...table.rules.map((r, i) => el("tr", { dataset: { ruleId: r.id } },
      el("td", { class: "num" }, i + 1),
      el("td", {}, el("code", {}, r.id)),
      el("td", { class: "small" }, r.description || ""),
      el("td", { class: "small" }, conditions(r.match)),
      el("td", { class: "small" }, unitLabel(r.unit), " ", el("code", { class: "cite-id" }, r.unit)),
      el("td", {},
        el("button", { type: "button", class: "small", onclick: () => editRule(r, i) }, "编辑"),
        el("button", { type: "button", class: "danger small", onclick: () => deleteRule(r) }, "删除")))));
    const refs = [...table.units.map((u) => [u.id, u.name]),
      ...table.district_units.map((u) => [`district:${u.key}`, u.name.replace("{district}", "所在区")]),
      ["street_office", "所在街道办事处（乡镇政府）"]];
    $("unit-refs").replaceChildren(...refs.map(([value, label]) => el("option", { value }, label)));
    $("routing-editor").value = JSON.stringify(table, null, 2);
    $("test-district").replaceChildren(el("option", { value: "" }, "（不明）"),
      ...table.districts.map((d) => el("option", { value: d.name }, d.name)));
  }

  function editRule(rule, index) {
    $("rule-id").value = rule.id;
    $("rule-description").value = rule.description || "";
    $("rule-position").value = index + 1;
    for (const key of LISTS) $(FIELD[key]).value = (rule.match[key] || []).join("、");
    $("rule-unit").value = rule.unit;
    $("rule-id").focus();
  }

  async function deleteRule(rule) {
    if (!window.confirm(`确定删除路由规则 ${rule.id} 吗？匹配它的工单将改由后续规则或派单中心处理。`)) return;
    const res = await api("DELETE", `/api/admin/routing/rules/${encodeURIComponent(rule.id)}`);
    if (!res.ok) return say($("routing-flash"), errorText(res), "error");
    changed();
    await loadRouting();
    say($("routing-flash"), `已删除规则 ${rule.id}`, "ok");
  }

  $("rule-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = $("rule-id").value.trim();
    const match = {};
    for (const key of LISTS) {
      const values = splitList($(FIELD[key]).value);
      if (values.length) match[key] = values;
    }
    const position = parseInt($("rule-position").value, 10);
    const body = { description: $("rule-description").value.trim(), match, unit: $("rule-unit").value.trim(),
      position: Number.isFinite(position) && position > 0 ? position - 1 : null };
    const res = await api("PUT", `/api/admin/routing/rules/${encodeURIComponent(id)}`, body);
    if (!res.ok) return say($("routing-flash"), errorText(res), "error");
    changed();
    await loadRouting();
    event.target.reset();
    say($("routing-flash"), `已保存规则 ${id}（路由表版本 ${res.data.version}）`, "ok");
  });
  $("rule-form").addEventListener("reset", () => say($("routing-flash"), ""));

  // --- routing test box ---
  function fillLevel2(select, level1) {
    const top = tax && tax.categories.find((c) => c.name === level1);
    select.replaceChildren(el("option", { value: "" }, "（不限）"),
      ...(top ? top.children : []).map((c) => el("option", { value: c.name }, c.name)));
  }

  $("test-l1").addEventListener("change", () => fillLevel2($("test-l2"), $("test-l1").value));

  $("route-test-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("route-test-result");
    const probe = { category_l1: $("test-l1").value || null, category_l2: $("test-l2").value || null,
      district: $("test-district").value || null, street: $("test-street").value.trim() || null,
      intent: $("test-intent").value || null, text: $("test-text").value.trim() };
    const res = await api("POST", "/api/admin/routing/test", probe);
    if (!res.ok) return out.replaceChildren(el("p", { class: "error" }, errorText(res)));
    const d = res.data;
    out.replaceChildren(el("div", { class: "verdict" },
      el("p", {}, el("strong", { class: "route-unit" }, d.unit_name), " ", el("code", { class: "cite-id" }, d.unit_id),
        d.manual ? el("span", { class: "badge danger" }, "需人工派单") : el("span", { class: "badge ok" }, `规则 ${d.rule_id}`)),
      el("p", { class: "muted small route-reason" }, d.reason)));
  });

  // --- taxonomy ---
  async function loadTaxonomy() {
    const res = await api("GET", "/api/admin/taxonomy");
    if (!res.ok) return say($("tax-flash"), errorText(res), "error");
    tax = res.data;
    $("tax-version").textContent = `版本 ${tax.version}`;
    const chosen = $("tax-l1").value || tax.categories[0].name;
    const options = tax.categories.map((c) => el("option", { value: c.name }, c.name));
    $("tax-l1").replaceChildren(...options);
    $("tax-l1").value = chosen;
    $("level1-options").replaceChildren(...tax.categories.map((c) => el("option", { value: c.name })));
    const testL1 = $("test-l1").value;
    $("test-l1").replaceChildren(el("option", { value: "" }, "（不限）"),
      ...tax.categories.map((c) => el("option", { value: c.name }, c.name)));
    $("test-l1").value = testL1;
    fillLevel2($("test-l2"), testL1);
    $("test-intent").replaceChildren(el("option", { value: "" }, "（不限）"),
      ...tax.intents.map((i) => el("option", { value: i.id }, i.label)));
    showLevel2();
  }

  function showLevel2() {
    const top = tax.categories.find((c) => c.name === $("tax-l1").value);
    $("tax-body").replaceChildren(...top.children.map((c) => el("tr", { dataset: { name: c.name } },
      el("td", {}, c.name),
      el("td", { class: "small" }, c.description || ""),
      el("td", { class: "small" }, (c.keywords || []).join("、")),
      el("td", {},
        el("button", { type: "button", class: "small", onclick: () => editSub(c) }, "编辑"),
        el("button", { type: "button", class: "danger small", onclick: () => deleteSub(top.name, c) }, "删除")))));
  }

  function editSub(sub) {
    $("sub-original").value = sub.name;
    $("sub-name").value = sub.name;
    $("sub-department").value = sub.department || "";
    $("sub-description").value = sub.description || "";
    $("sub-keywords").value = (sub.keywords || []).join("、");
    $("sub-name").focus();
  }

  async function deleteSub(level1, sub) {
    if (!window.confirm(`确定删除二级分类“${level1}/${sub.name}”吗？`)) return;
    const res = await api("DELETE", `/api/admin/taxonomy/${encodeURIComponent(level1)}/${encodeURIComponent(sub.name)}`);
    if (!res.ok) return say($("tax-flash"), errorText(res), "error");
    changed();
    await loadTaxonomy();
    say($("tax-flash"), `已删除二级分类“${level1}/${sub.name}”`, "ok");
  }

  $("tax-l1").addEventListener("change", () => { $("sub-form").reset(); showLevel2(); });
  $("sub-form").addEventListener("reset", () => { $("sub-original").value = ""; say($("tax-flash"), ""); });
  $("sub-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const level1 = $("tax-l1").value;
    const name = $("sub-name").value.trim();
    const path = $("sub-original").value || name;
    const body = { name, description: $("sub-description").value.trim(),
      keywords: splitList($("sub-keywords").value), department: $("sub-department").value.trim() };
    const res = await api("PUT", `/api/admin/taxonomy/${encodeURIComponent(level1)}/${encodeURIComponent(path)}`, body);
    if (!res.ok) return say($("tax-flash"), errorText(res), "error");
    changed();
    await loadTaxonomy();
    say($("tax-flash"), `已保存二级分类“${level1}/${name}”`, "ok");
    $("sub-original").value = "";
    $("sub-name").value = "";
    $("sub-department").value = "";
    $("sub-description").value = "";
    $("sub-keywords").value = "";
  });

  // The whole table at once (districts, units, district units): the same validation, the changes audited.
  $("routing-save").addEventListener("click", async () => {
    let data;
    try {
      data = JSON.parse($("routing-editor").value);
    } catch (err) {
      return say($("routing-flash"), `路由表不是有效的 JSON：${err.message}`, "error");
    }
    const res = await api("PUT", "/api/admin/routing", data);
    if (!res.ok) return say($("routing-flash"), errorText(res), "error");
    changed();
    await loadRouting();
    say($("routing-flash"), `已保存整张路由表（版本 ${res.data.version}，${res.data.rules} 条规则）`, "ok");
  });
  $("routing-reload").addEventListener("click", loadRouting);
  $("routing-refresh").addEventListener("click", loadRouting);
  loadRouting();
  loadTaxonomy();
})();
