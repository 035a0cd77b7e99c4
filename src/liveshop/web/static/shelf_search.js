// Search inside the room's shelf (购物袋): the server's search (pinyin and typos too)
// limited to this room's shelf; items that do not match are hidden, an empty box shows all.
import { api } from "./common.js";

const DEBOUNCE_MS = 250;

export function attachShelfSearch(roomId) {
  const input = document.getElementById("shelf-search");
  const list = document.getElementById("shelf-list");
  const none = document.getElementById("shelf-search-empty");
  if (!input || !list) return;
  let timer = null;
  let asked = 0;
  const showOnly = (ids) => {
    let shown = 0;
    for (const item of list.querySelectorAll(".shelf-item")) {
      const visible = ids === null || ids.has(String(item.dataset.productId));
      item.hidden = !visible;
      shown += visible ? 1 : 0;
    }
    if (none) none.hidden = ids === null || shown > 0;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const words = input.value.trim();
      const mine = ++asked;
      if (!words) return showOnly(null);
      try {
        const found = await api("GET", `/api/search?q=${encodeURIComponent(words)}&room_id=${roomId}&limit=50`);
        if (mine === asked) showOnly(new Set(found.results.map((hit) => String(hit.id))));
      } catch {
        showOnly(null);
      }
    }, DEBOUNCE_MS);
  });
}

const room = document.querySelector("[data-room-id]");
if (room) attachShelfSearch(room.dataset.roomId);
