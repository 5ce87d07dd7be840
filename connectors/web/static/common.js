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

  // Every page shows times in Beijing time, whatever the browser's own zone: sessions, tickets and
  // deadlines then agree. A stored value without an offset is UTC (that is how the server keeps them).
  const BEIJING = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  /** An ISO timestamp as Beijing time, e.g. 2026-03-02 18:00. */
  function fmtTime(iso) {
    if (!iso) return "";
    let value = String(iso);
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) value = `${value.replace(" ", "T")}Z`;
    const t = new Date(value);
    if (Number.isNaN(t.getTime())) return String(iso);
    const part = Object.fromEntries(BEIJING.formatToParts(t).map((p) => [p.type, p.value]));
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
  }

  /** A wait in words: 45 秒, 3 分 20 秒, 1 小时 5 分. */
  function fmtWait(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s} 秒`;
    if (s < 3600) return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
    return `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分`;
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

  return { el, api, staffApi, errorText, fmtTime, fmtWait, say, STATUS_LABELS };
})();
