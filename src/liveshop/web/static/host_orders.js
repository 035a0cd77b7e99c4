// The orders placed in the room, on the host console: a page at a time (20, newest first),
// with the count and sum of every order not cancelled from the server, polled and refreshed
// on purchase notices.
import { _, api, el, formatPrice, itemsWords, shortDateTime } from "./common.js";
import { ORDER_STATUS_LABELS } from "./commerce.js";
import { Pager } from "./pager.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 4000;
const PER_PAGE = 20;

export class RoomOrders {
  constructor(roomId) {
    this.path = `/api/rooms/${roomId}/order-pages`;
    this.timer = 0;
    this.pager = new Pager($("room-orders-pager"), (page) => this.load(page));
  }

  /** Loads a page (the current one by default) and polls it again. */
  async load(page = this.pager.page) {
    clearTimeout(this.timer);
    try {
      const result = await api("GET", `${this.path}?page=${page}&per_page=${PER_PAGE}`);
      this.render(result);
    } catch {
      // keep the last list; the next poll retries
    }
    this.timer = setTimeout(() => this.load(), POLL_MS);
  }

  render(result) {
    $("room-orders-count").textContent = String(result.counted);
    $("room-orders-sum").textContent = formatPrice(result.amount);
    $("room-orders").tBodies[0].replaceChildren(
      ...result.orders.map((order) =>
        el("tr", { dataset: { orderId: order.id, status: order.status } }, [
          el("td", { text: `#${order.id}` }),
          el("td", {}, itemsWords(order.items, " ×")),
          el("td", { className: "num", text: formatPrice(order.total, order.currency) }),
          el("td", { text: ORDER_STATUS_LABELS[order.status] || order.status }),
          el("td", { className: "muted", text: shortDateTime(order.created_at) }),
        ]),
      ),
    );
    this.pager.show(result.page, result.pages);
  }
}
