// Shared helpers for LiveShop pages: JSON API calls with CSRF, safe DOM building, money.
// User-supplied text only ever reaches the page through textContent.

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
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
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
    const detail = data && typeof data.detail === "string" ? data.detail : `请求失败 (${response.status})`;
    throw new ApiError(response.status, (data && data.code) || "http_" + response.status, detail);
  }
  return data;
}

/** 29900 (分) -> "¥299.00"; integer arithmetic only, money is never a float. */
export function formatPrice(minor, currency = "CNY") {
  const value = Math.trunc(Number(minor) || 0);
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  const amount = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
  const symbol = currency === "CNY" ? "¥" : `${currency} `;
  return `${sign}${symbol}${amount}`;
}

/** "299", "299.5", "299.00" -> 29900 分, or null when it is not a price. */
export function parsePrice(text) {
  const match = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

/** 12345 -> "1.2万": how Chinese apps show big counts. */
export function formatCount(value) {
  const n = Number(value) || 0;
  if (n >= 100000000) return `${(n / 100000000).toFixed(1)}亿`;
  if (n >= 10000) return `${(n / 10000).toFixed(1)}万`;
  return String(n);
}

/** Build an element; `text` goes through textContent, never HTML. */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.attrs) {
    for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, String(value));
  }
  if (options.dataset) {
    for (const [name, value] of Object.entries(options.dataset)) node.dataset[name] = String(value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
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
