// The notification centre: new notices appear at the top, reading marks them read,
// "全部已读", and the per-kind preferences.
import { _, api } from "/static/common.js";

const list = document.getElementById("notice-list");
const unread = document.getElementById("centre-unread");
const readAll = document.getElementById("read-all");
const empty = document.getElementById("no-notices");
const toast = document.getElementById("toast");
// A notice comes worded in the page's language (the stream asks as the page did); one kept
// before notices had parameters says the language of its stored words (notice.lang).
const PAGE_LANGUAGE = document.documentElement.lang;

function say(message) {
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { toast.hidden = true; }, 2500);
}

function showUnread(count) {
  unread.dataset.unread = String(count);
  unread.textContent = _("{count} 条未读", { count });
  readAll.disabled = count === 0;
  document.dispatchEvent(new CustomEvent("liveshop:unread", { detail: count }));
}

function noticeItem(notice) {
  const item = document.createElement("li");
  item.className = "notice is-unread";
  item.dataset.notificationId = String(notice.id);
  item.dataset.kind = notice.kind;
  const link = document.createElement("a");
  link.className = "notice-link";
  link.href = notice.link && notice.link.startsWith("/") ? notice.link : "#";
  const title = document.createElement("strong");
  title.className = "notice-title";
  if (notice.lang !== PAGE_LANGUAGE) title.lang = notice.lang;
  title.textContent = notice.title;
  link.append(title);
  if (notice.body) {
    const body = document.createElement("span");
    body.className = "notice-body";
    if (notice.lang !== PAGE_LANGUAGE) body.lang = notice.lang;
    body.textContent = notice.body;
    link.append(body);
  }
  const when = document.createElement("time");
  when.dateTime = notice.created_at;
  when.textContent = _("刚刚");
  link.append(when);
  item.append(link);
  return item;
}

document.addEventListener("liveshop:notification", (event) => {
  list.prepend(noticeItem(event.detail));
  empty.hidden = true;
  showUnread(Number(unread.dataset.unread) + 1);
});

list.addEventListener("click", async (event) => {
  const item = event.target.closest(".notice.is-unread");
  if (!item) return;
  const link = item.querySelector("a");
  event.preventDefault();
  try {
    const marked = await api("POST", `/api/notifications/${item.dataset.notificationId}/read`);
    item.classList.remove("is-unread");
    showUnread(marked.unread);
  } catch (error) {
    say(error.message);
  }
  if (link && link.getAttribute("href") !== "#") window.location.assign(link.getAttribute("href"));
});

readAll.addEventListener("click", async () => {
  try {
    await api("POST", "/api/notifications/read-all");
    for (const item of list.querySelectorAll(".is-unread")) item.classList.remove("is-unread");
    showUnread(0);
  } catch (error) {
    say(error.message);
  }
});

document.getElementById("preferences").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kinds = {};
  for (const row of document.querySelectorAll(".prefs-table tbody tr")) {
    kinds[row.dataset.kind] = {
      in_app: row.querySelector('input[name="in_app"]').checked,
      email: row.querySelector('input[name="email"]').checked,
    };
  }
  const email = document.getElementById("pref-email").value.trim();
  try {
    await api("PUT", "/api/notifications/preferences", { email: email || null, kinds });
    say(_("已保存"));
  } catch (error) {
    say(error.message);
  }
});
