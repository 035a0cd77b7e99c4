// Rooms by title, not by typing their id (issue 18): the rooms whose reports the caller reads
// (GET /api/analytics/rooms: a merchant's rooms with the shop's products on the shelf, a
// host's own), newest first, live ones marked. The dashboard and the merchant console list
// them as links to the room's report; the campaign page's link builder picks one in a select.
import { _, api, el, shortDateTime } from "./common.js";

const SEARCH_DELAY_MS = 250;
export const ROOM_STATUS_LABELS = { scheduled: _("预告"), live: _("直播中"), ended: _("已结束") };

/** One page of the caller's rooms whose title contains `q`. */
export function fetchRooms({ q = "", page = 1, perPage = 20 } = {}) {
  const params = new URLSearchParams({ page: String(page), per_page: String(perPage) });
  if (q) params.set("q", q);
  return api("GET", `/api/analytics/rooms?${params}`);
}

/** When the room started, or is to start; "" for a room with neither. */
export function roomTime(room) {
  if (room.started_at) return _("{time} 开播", { time: shortDateTime(room.started_at) });
  if (room.scheduled_at) return _("{time} 预告", { time: shortDateTime(room.scheduled_at) });
  return "";
}

export function statusTag(status) {
  const live = status === "live";
  return el("span", {
    className: `tag room-status ${live ? "tag-live" : "tag-notice"}`,
    text: ROOM_STATUS_LABELS[status] || "",
    dataset: { status },
  });
}

/** "标题 · 直播中" for a select's option. */
export function roomOptionText(room) {
  return room.status === "live" ? `${room.title} · ${_("直播中")}` : `${room.title} · ${ROOM_STATUS_LABELS[room.status] || ""}`;
}

/** Calls `onInput(text)` a moment after the person stops typing in `search`. */
export function whenTyped(search, onInput) {
  let timer = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => onInput(search.value.trim()), SEARCH_DELAY_MS);
  });
}

/** A select of the caller's rooms, filtered by the title typed in `search` (if given); each
 * option's value is `valuePrefix` and the room's id. */
export class RoomPicker {
  constructor({ search = null, select, perPage = 50, valuePrefix = "" }) {
    this.select = select;
    this.perPage = perPage;
    this.valuePrefix = valuePrefix;
    if (search) whenTyped(search, (text) => this.find(text).catch(() => {}));
  }

  get roomId() {
    const id = Number(this.select.value.slice(this.valuePrefix.length));
    return this.select.value && Number.isInteger(id) && id > 0 ? id : null;
  }

  async find(text = "") {
    const chosen = this.roomId;
    const { rooms } = await fetchRooms({ q: text, perPage: this.perPage });
    const value = (room) => `${this.valuePrefix}${room.id}`;
    const options = rooms.map((room) => el("option", { text: roomOptionText(room), attrs: { value: value(room) } }));
    const prompt = el("option", { text: rooms.length ? _("请选择直播间") : _("没有找到直播间"), attrs: { value: "" } });
    this.select.replaceChildren(prompt, ...options);
    const kept = rooms.find((room) => room.id === chosen);
    if (kept) this.select.value = value(kept);
    else if (text && rooms.length) this.select.value = value(rooms[0]);
    return rooms;
  }
}
