// Every signed-in page: the unread badge, new notices live (Server-Sent Events) with a
// toast, and the follow-host / remind-me buttons. Text reaches the page via textContent.
import { _, api } from "/static/common.js";

const badge = document.getElementById("unread-badge");
const toast = document.getElementById("toast");

function setUnread(count) {
  if (!badge) return;
  badge.dataset.unread = String(count);
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.hidden = count === 0;
}

function say(message) {
  if (!toast) return;
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { toast.hidden = true; }, 4000);
}

async function refreshUnread() {
  try {
    const page = await api("GET", "/api/notifications?limit=1");
    setUnread(page.unread);
  } catch {
    /* signed out or offline: the badge stays as it was */
  }
}

function listen() {
  const source = new EventSource("/api/notifications/stream");
  source.addEventListener("notification", (event) => {
    const notice = JSON.parse(event.data);
    setUnread(Number(badge ? badge.dataset.unread : 0) + 1);
    say(notice.title);
    document.dispatchEvent(new CustomEvent("liveshop:notification", { detail: notice }));
  });
  source.addEventListener("open", () => {
    document.documentElement.dataset.notifications = "open";
    refreshUnread(); // notices written while the stream was down
  });
}

document.addEventListener("liveshop:unread", (event) => setUnread(event.detail));

for (const button of document.querySelectorAll("[data-follow-host]")) {
  button.addEventListener("click", async () => {
    const following = button.dataset.following === "yes";
    button.disabled = true;
    try {
      await api(following ? "DELETE" : "POST", `/api/hosts/${button.dataset.followHost}/follow`);
      button.dataset.following = following ? "no" : "yes";
      button.textContent = following ? _("关注") : _("已关注");
      if (!following) say(_("已关注，开播会提醒你"));
    } catch (error) {
      say(error.message);
    } finally {
      button.disabled = false;
    }
  });
}

for (const button of document.querySelectorAll("[data-remind-room]")) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await api("POST", `/api/rooms/${button.dataset.remindRoom}/reminder`);
      button.textContent = _("已预约");
      say(_("开播前 10 分钟会提醒你"));
    } catch (error) {
      button.disabled = false;
      say(error.message);
    }
  });
}

if (badge) {
  refreshUnread();
  listen();
}
