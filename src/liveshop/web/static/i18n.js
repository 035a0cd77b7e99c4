// The page's language and its catalogue for scripts (no imports: every module may use it).

/** The page's language, as the server chose it (<html lang>): "zh-CN" or "en". */
export const LOCALE = document.documentElement.lang || "zh-CN";

// The page's catalogue for scripts: a JSON data block the server writes in the head (never
// executed, so the script-src 'self' policy allows it), msgid -> text; none in Chinese.
const MESSAGES = (() => {
  const node = document.getElementById("i18n-messages");
  if (!node) return {};
  try {
    return JSON.parse(node.textContent);
  } catch {
    return {};
  }
})();

/** The page's translation of a Chinese msgid; "{name}" placeholders are filled from
 * `values`: _("{count} 人在看", { count: 3 }). Extracted by pybabel (babel.cfg). */
export function _(message, values) {
  const text = Object.hasOwn(MESSAGES, message) ? MESSAGES[message] : message;
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}
