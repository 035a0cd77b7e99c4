// The merchant console: publish products, edit SKU prices and stock, ship paid orders with a
// tracking number, and handle after-sales requests (approve or reject with a reason,
// confirm a returned parcel). Products come first; orders are paged below, 20 at a time.
import { _, api, el, formatPrice, itemsWords, parsePrice, shortDateTime, toast } from "./common.js";
import {
  AFTER_SALE_KIND_LABELS,
  AFTER_SALE_STATUS_LABELS,
  commerceError,
  ORDER_STATUS_LABELS,
  skuLabel,
  statusBadge,
} from "./commerce.js";
import { Pager } from "./pager.js";
import { fetchRooms, statusTag } from "./room_picker.js";

const $ = (id) => document.getElementById(id);
const root = $("merchant");
let shopId = root.dataset.shopId ? Number(root.dataset.shopId) : null;

async function act(promise, success) {
  try {
    const result = await promise;
    if (success) toast(success);
    await load();
    return result;
  } catch (error) {
    toast(commerceError(error));
    return null;
  }
}

function yuan(minor) {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`; // what parsePrice reads back
}

// --- products ---

$("product-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const price = parsePrice($("product-price").value);
  if (price === null) {
    toast(_("价格格式不对，例如 299 或 299.90"));
    return;
  }
  const stock = Number($("product-stock").value);
  const body = { title: $("product-title").value.trim(), description: $("product-description").value.trim() };
  const optionName = $("product-option-name").value.trim();
  const values = $("product-option-values").value.split(/[,，]/).map((value) => value.trim()).filter(Boolean);
  if (optionName && values.length) {
    body.skus = values.map((value) => ({ options: { [optionName]: value }, price, stock }));
  } else {
    Object.assign(body, { price, stock });
  }
  const product = await act(api("POST", "/api/products", body), _("商品已发布"));
  if (product) {
    event.target.reset();
    if (shopId === null) {
      shopId = product.shop_id;
      location.reload(); // the first product opened the shop: show its id
    }
  }
});

function renderProducts(products) {
  $("products-empty").hidden = products.length > 0;
  const rows = [];
  for (const product of products) {
    product.skus.forEach((sku, index) => {
      const price = el("input", { className: "sku-price", attrs: { value: yuan(sku.price), inputmode: "decimal", "aria-label": _("价格"), size: 8 } });
      const stock = el("input", { className: "sku-stock", attrs: { type: "number", min: 0, max: 10000000, value: sku.stock, "aria-label": _("库存") } });
      const save = el("button", { className: "btn btn-small btn-primary sku-save", text: _("保存"), attrs: { type: "button" } });
      save.addEventListener("click", () => {
        const minor = parsePrice(price.value);
        if (minor === null) {
          toast(_("价格格式不对"));
          return;
        }
        act(api("PATCH", `/api/products/${product.id}`, { skus: [{ id: sku.id, price: minor, stock: Number(stock.value) }] }), _("已保存"));
      });
      rows.push(
        el("tr", { dataset: { productId: product.id, skuId: sku.id } }, [
          el("td", { className: "product-cell" }, index === 0 ? [el("span", { className: "muted", text: `#${product.id} ` }), el("span", { className: "product-name", typed: product.title })] : []),
          el("td", { text: skuLabel(sku.options) }),
          el("td", {}, [price]),
          el("td", {}, [stock, sku.stock === 0 ? el("span", { className: "tag tag-notice", text: _("售罄") }) : null]),
          el("td", {}, [save]),
        ]),
      );
    });
  }
  $("product-table").tBodies[0].replaceChildren(...rows);
}

// --- orders ---

function renderShipCard(order) {
  const tracking = el("input", {
    className: "tracking-input",
    attrs: { required: "", minlength: 4, maxlength: 64, pattern: "[A-Za-z0-9\\-]{4,64}", placeholder: _("快递单号"), "aria-label": _("快递单号") },
  });
  const form = el("form", { className: "inline-row ship-form" }, [
    tracking,
    el("button", { className: "btn btn-small btn-primary ship-btn", text: _("发货"), attrs: { type: "submit" } }),
  ]);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(api("POST", `/api/orders/${order.id}/ship`, { tracking_number: tracking.value.trim() }), _("订单 {id} 已发货", { id: order.id }));
  });
  const address = order.address;
  return el("li", { className: "order-card", dataset: { orderId: order.id, status: order.status } }, [
    el("header", { className: "order-head" }, [
      el("span", { className: "order-no", text: _("订单号 {id}", { id: order.id }) }),
      el("span", { className: "muted", text: shortDateTime(order.created_at) }),
      statusBadge(order.status),
    ]),
    el("p", {}, itemsWords(order.items)),
    el("p", { className: "muted order-address" }, address
      ? [el("span", { typed: address.recipient }), ` ${address.phone} `, el("span", { typed: address.region }), " ", el("span", { typed: address.line })]
      : [_("买家未填写地址")]),
    el("p", {}, [el("span", { text: _("实付 ") }), el("strong", { className: "order-total", text: formatPrice(order.total, order.currency) })]),
    form,
  ]);
}

const PER_PAGE = 20;

function shopOrders(page, status) {
  const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (status) params.set("status", status);
  return api("GET", `/api/shop-orders?${params}`);
}

function renderToShip(result) {
  $("to-ship-count").textContent = result.total ? _("{count} 单", { count: result.total }) : "";
  $("ship-empty").hidden = result.total > 0;
  $("ship-list").replaceChildren(...result.orders.map(renderShipCard));
  shipPager.show(result.page, result.pages);
}

function renderOrders(result) {
  $("shop-orders-total").textContent = String(result.total);
  $("shop-orders").tBodies[0].replaceChildren(
    ...result.orders.map((order) =>
      el("tr", { dataset: { orderId: order.id, status: order.status } }, [
        el("td", { text: `#${order.id}` }),
        el("td", {}, itemsWords(order.items, " ×")),
        el("td", { className: "num", text: formatPrice(order.total, order.currency) }),
        el("td", { className: "order-state", text: ORDER_STATUS_LABELS[order.status] || order.status }),
        el("td", { className: "order-tracking", text: order.tracking_number || "" }),
      ]),
    ),
  );
  ordersPager.show(result.page, result.pages);
}

/** Loads a page; past the last one (its orders shipped meanwhile) it shows the last. */
async function pageOf(pager, page, status, render) {
  const result = await shopOrders(page, status);
  if (!result.orders.length && page > result.pages) return pager.go(result.pages);
  return render(result);
}

const shipPager = new Pager($("ship-pager"), (page) => pageOf(shipPager, page, "paid", renderToShip));
const ordersPager = new Pager($("orders-pager"), (page) => pageOf(ordersPager, page, null, renderOrders));

// --- rooms: those with the shop's products on their shelf, newest first ---

function renderRooms(result) {
  $("shop-rooms-total").textContent = String(result.total);
  $("shop-rooms-empty").hidden = result.total > 0;
  $("shop-rooms").tBodies[0].replaceChildren(
    ...result.rooms.map((room) =>
      el("tr", { dataset: { roomId: room.id, status: room.status } }, [
        el("td", { className: "room-title", typed: room.title }),
        el("td", {}, [statusTag(room.status)]),
        el("td", { className: "room-started", text: shortDateTime(room.started_at || room.scheduled_at) || _("未开播") }),
        el("td", {}, [el("a", { className: "room-report", text: _("查看报告"), attrs: { href: `/dashboard/rooms/${room.id}` } })]),
      ]),
    ),
  );
  roomsPager.show(result.page, result.pages);
}

const roomsPager = new Pager($("rooms-pager"), async (page) => {
  const result = await fetchRooms({ page, perPage: PER_PAGE });
  if (!result.rooms.length && page > result.pages) return roomsPager.go(result.pages);
  return renderRooms(result);
});

// --- after-sales ---

function renderAfterSale(request) {
  const li = el("li", { className: "order-card after-sale", dataset: { afterSaleId: request.id, status: request.status } }, [
    el("header", { className: "order-head" }, [
      el("span", { className: "order-no", text: _("售后 {id} · 订单 {order}", { id: request.id, order: request.order_id }) }),
      el("span", { className: "tag tag-host", text: AFTER_SALE_KIND_LABELS[request.kind] || request.kind }),
      el("span", { className: `order-status as-status-${request.status}`, text: AFTER_SALE_STATUS_LABELS[request.status] || request.status }),
    ]),
    el("p", {}, [el("span", { className: "muted", text: _("买家原因：") }), el("span", { typed: request.reason })]),
    el("p", {}, [el("span", { className: "muted", text: _("退款金额 ") }), el("strong", { text: formatPrice(request.amount) })]),
  ]);
  if (request.merchant_deadline && request.status === "requested") {
    li.append(el("p", { className: "muted", text: _("请在 {time} 前处理，逾期自动同意", { time: shortDateTime(request.merchant_deadline) }) }));
  }
  if (request.status === "requested") {
    const reason = el("input", { className: "decision-reason", attrs: { maxlength: 500, placeholder: _("处理说明（拒绝时必填）"), "aria-label": _("处理说明") } });
    const decide = (approve) => {
      const text = reason.value.trim();
      if (!approve && !text) {
        toast(_("拒绝时请填写原因"));
        reason.focus();
        return;
      }
      act(api("POST", `/api/after-sales/${request.id}/decision`, { approve, reason: text }), approve ? _("已同意") : _("已拒绝"));
    };
    const approve = el("button", { className: "btn btn-small btn-primary approve-btn", text: _("同意"), attrs: { type: "button" } });
    const reject = el("button", { className: "btn btn-small btn-danger reject-btn", text: _("拒绝"), attrs: { type: "button" } });
    approve.addEventListener("click", () => decide(true));
    reject.addEventListener("click", () => decide(false));
    li.append(el("div", { className: "inline-row" }, [reason, approve, reject]));
  }
  if (request.status === "return_shipped") {
    if (request.return_tracking) li.append(el("p", { className: "muted", text: _("退货运单 {number}", { number: request.return_tracking }) }));
    const received = el("button", { className: "btn btn-small btn-primary return-received-btn", text: _("确认收到退货并退款"), attrs: { type: "button" } });
    received.addEventListener("click", () => act(api("POST", `/api/after-sales/${request.id}/return-received`), _("已确认收货，退款处理中")));
    li.append(received);
  }
  return li;
}

async function load() {
  if (shopId === null) {
    renderProducts([]);
    $("ship-empty").hidden = false;
    $("merchant-after-sales-empty").hidden = false;
    $("shop-rooms-empty").hidden = false;
    return;
  }
  const [products, requests] = await Promise.all([
    api("GET", `/api/shops/${shopId}/products`),
    api("GET", "/api/after-sales?scope=shop"),
    shipPager.reload(),
    ordersPager.reload(),
    roomsPager.reload(),
  ]);
  renderProducts(products);
  $("merchant-after-sales-empty").hidden = requests.length > 0;
  $("merchant-after-sales").replaceChildren(...requests.map(renderAfterSale));
}

load().catch((error) => toast(commerceError(error)));
