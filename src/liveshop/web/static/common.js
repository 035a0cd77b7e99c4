// Shared helpers for LiveShop pages: JSON API calls with CSRF, safe DOM building, money,
// and the page's language. User-supplied text only ever reaches the page through textContent.
import { LOCALE, _ } from "./i18n.js";
import { deviceHeaders } from "./passkeys.js";
import { showTyped, typedWords, writtenLanguage } from "./written_language.js";

export { LOCALE, _, showTyped, typedWords, writtenLanguage };
const SOURCE_LANGUAGE = "zh-CN"; // the msgids' language

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Comment ids are 63-bit integers: above Number.MAX_SAFE_INTEGER, so JSON.parse would
// round them and two comments could share an id. Keep every long "id" as a string.
// (An escaped quote inside a JSON string reads \"id\": and never matches.)
const LONG_ID = /"id":(\d{16,})/g;

export function parseJson(text) {
  return JSON.parse(text.replace(LONG_ID, '"id":"$1"'));
}

export class ApiError extends Error {
  /** `message` is in the page's language (see errorWords); `detail` is the server's own text,
   * for a script that reads it; `data` is the whole error body (a refused payment challenge
   * carries the payment). */
  constructor(status, code, message, data = null, detail = message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
    this.detail = detail;
    this.retryAfter = retryAfter; // seconds, from a 429's or 503's Retry-After
  }
}

/** A JSON call with the session cookie, the CSRF header and this browser's device id (once a
 * passkey page made one); `extraHeaders` e.g. Idempotency-Key. */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken(), ...deviceHeaders(), ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? parseJson(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = errorDetail(data);
    const code = (data && data.code) || "http_" + response.status;
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
    const words = COMMON_REFUSALS[code] || errorWords(detail, response.status, retryAfter);
    throw new ApiError(response.status, code, words, data, detail, retryAfter);
  }
  return data;
}

/** The server's message: a string, or the first of a validation error list. */
function errorDetail(data) {
  if (data && typeof data.detail === "string") return data.detail;
  if (data && Array.isArray(data.detail) && data.detail.length && data.detail[0].msg) {
    const first = data.detail[0];
    const where = Array.isArray(first.loc) ? first.loc.filter((part) => part !== "body").join(".") : "";
    return where ? `${where}: ${first.msg}` : String(first.msg);
  }
  return "";
}

/** A Retry-After header (seconds, or an HTTP date) as whole seconds from now, or null. */
function retryAfterSeconds(header) {
  if (!header) return null;
  const trimmed = header.trim();
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : (Date.parse(trimmed) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : null;
}

const CHINESE = /[\u3400-\u9fff]/;

/** Whether a server's text is in the page's language: Chinese on a Chinese page, free of
 * Chinese on an English one (the API writes its details in English, a few in Chinese). */
export function inPageLanguage(text) {
  return Boolean(text) && CHINESE.test(text) === (LOCALE === SOURCE_LANGUAGE);
}

// Refusals any page's call may meet, by code, in people's words (the API's detail is for
// engineers: "missing or wrong CSRF token").
const COMMON_REFUSALS = {
  csrf_failed: _("页面已过期，请刷新后再试"),
};

/** Words for a refusal by its HTTP status, for a script with no words of its own for its code;
 * with the seconds a Retry-After gave, a busy (429) or unavailable (5xx) server says when. */
export function statusWords(status, retryAfter = null) {
  if (retryAfter !== null && status === 429) return _("操作太频繁，请 {seconds} 秒后再试", { seconds: retryAfter });
  if (retryAfter !== null && status >= 500) return _("服务暂时不可用，请 {seconds} 秒后再试", { seconds: retryAfter });
  if (status === 400) return _("请求有误");
  if (status === 401) return _("请先登录");
  if (status === 403) return _("没有权限");
  if (status === 404) return _("找不到");
  if (status === 409) return _("状态已变化，请刷新后再试");
  if (status === 422) return _("填写的内容有误");
  if (status === 429) return _("操作太频繁，请稍后再试");
  if (status >= 500) return _("服务暂时不可用，请稍后再试");
  return _("请求失败，请稍后再试"); // no status codes for people
}

/** The page's words for a refusal: the server's detail when it is in the page's language
 * (an English detail on an English page), else words by its status: a Chinese page never
 * shows the API's English. A signed-out caller (401), a busy or a failing server (429, 5xx)
 * is always told by its status: those details are for engineers ("send Authorization:
 * Bearer <token>", "internal server error", a proxy's page), and a person needs to sign in
 * again or to know when to try again. */
export function errorWords(detail, status, retryAfter = null) {
  if (status === 401 || status === 429 || status >= 500) return statusWords(status, retryAfter);
  return inPageLanguage(detail) ? detail : statusWords(status);
}

/** A fresh key per purchase click: a retried request then returns the same order. */
export function idempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** 29900 (分) -> "¥299.00" in Chinese, "CN¥299.00" in English (CLDR, as the server's
 * Babel writes it). Integer arithmetic only, money is never a float: Intl formats the
 * exact decimal string. */
export function formatPrice(minor, currency = "CNY") {
  const value = Math.trunc(Number(minor) || 0);
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  const amount = `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).format(amount);
  } catch {
    return `${currency} ${amount}`; // a code Intl does not know
  }
}

/** "299", "299.5", "299.00" -> 29900 分, or null when it is not a price. */
export function parsePrice(text) {
  const match = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

/** 12345 -> "1.2万": how Chinese apps show big counts; "12.3K" in English. */
export function formatCount(value) {
  const n = Number(value) || 0;
  if (LOCALE !== SOURCE_LANGUAGE) {
    return new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 }).format(n);
  }
  if (n >= 100000000) return `${(n / 100000000).toFixed(1)}亿`;
  if (n >= 10000) return `${(n / 10000).toFixed(1)}万`;
  return String(n);
}

/** Build an element; `text` goes through textContent, never HTML; so does `typed`, what a
 * person typed (a title, a chat line), and the element says its language (written_language.js). */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.typed !== undefined) showTyped(node, options.typed);
  if (options.attrs) {
    for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, String(value));
  }
  if (options.dataset) {
    for (const [name, value] of Object.entries(options.dataset)) node.dataset[name] = String(value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** An order's items as nodes to append: each title as typed (saying its language) and its
 * quantity, in a list the page's way ("Linen shirt × 2，包邮吗 × 1"). */
export function itemsWords(items, times = " × ") {
  return items.flatMap((item, index) => [index ? _("，") : "", el("span", { typed: item.title }), `${times}${item.quantity}`]);
}

let toastTimer = 0;
export function toast(message) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 2600);
}

export function clockTime(ts) {
  const date = new Date(ts * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

/** "2025-01-01T08:00:00+00:00" -> "01-01 16:00" in the viewer's time zone. */
export function shortDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  if (LOCALE !== SOURCE_LANGUAGE) {
    const options = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
    return new Intl.DateTimeFormat(LOCALE, options).format(date);
  }
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A moment a record keeps, with its year and seconds, in the viewer's time zone and the
 * page's language: "2026-12-07 11:29:26" in Chinese, "Dec 7, 2026, 11:29:26 AM" in English.
 * The back office's one date format for people; exports keep the API's ISO text. */
export function fullDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  if (LOCALE !== SOURCE_LANGUAGE) {
    const options = { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit" };
    return new Intl.DateTimeFormat(LOCALE, options).format(date);
  }
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// An ISO 8601 moment as the API writes one ("2026-12-07T03:29:26Z", "…+00:00", with or
// without fractions): a value in a record's details that is a time, not text.
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** True when `value` is an ISO moment (format it with fullDateTime before a person sees it). */
export function isIsoMoment(value) {
  return typeof value === "string" && ISO_MOMENT.test(value);
}

/** Milliseconds -> "1:05" or "1:02:03" for countdowns. */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
