// Shared helpers for the pages. Text always goes in through textContent, never innerHTML.
"use strict";

const Hotline = (() => {
  /** Build an element: el("p", {class: "x", onclick: fn}, "text", child, ...). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Call a JSON API; never throws. Resolves to {ok, status, data}. */
  async function api(method, url, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      return { ok: false, status: 0, data: null };
    }
    let data = null;
    if ((response.headers.get("Content-Type") || "").includes("json")) {
      try { data = await response.json(); } catch (err) { data = null; }
    }
    return { ok: response.ok, status: response.status, data };
  }

  /** A message a person can act on, for a failed call. */
  function errorText(res) {
    if (res.status === 0) return "网络连接失败，请检查网络后重试。";
    if (res.status >= 500) return "系统繁忙，请稍后再试。";
    const detail = res.data && res.data.detail;
    if (typeof detail === "string" && detail) return detail;
    if (res.status === 401) return "登录已过期，请重新登录。";
    if (res.status === 403) return "当前账号无权执行此操作。";
    if (res.status === 404) return "未找到相应内容。";
    if (res.status === 413) return "内容过长或文件过大。";
    return `请求未成功（状态码 ${res.status}），请检查后重试。`;
  }

  /** For staff pages: a lapsed sign-in goes back to the login page. */
  function staffApi(method, url, body) {
    return api(method, url, body).then((res) => {
      if (res.status === 401) window.location.assign("/login");
      return res;
    });
  }

  /** An ISO timestamp in local time, e.g. 2026-03-02 18:00. */
  function fmtTime(iso) {
    if (!iso) return "";
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) return String(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`;
  }

  const STATUS_LABELS = {
    draft: "待确认", submitted: "已提交", dispatched: "已派发", accepted: "已受理", in_progress: "办理中",
    resolved: "已办结", closed: "已关闭", returned: "已退回", reopened: "已重新办理", merged: "已合并",
  };

  /** Show a short message in a status area (kind: "ok" | "error" | ""). */
  function say(node, text, kind) {
    node.textContent = text || "";
    node.className = `flash ${kind || ""}`.trim();
    node.hidden = !text;
  }

  return { el, api, staffApi, errorText, fmtTime, say, STATUS_LABELS };
})();
