// The host console's selling tools: the shelf and pinning from it, flash sales, coupon drops,
// lucky draws, and the orders placed in this room (host_orders.js: polled, and refreshed on
// purchase notices). The shop to sell from is picked by name (shop_picker.js).
import { _, api, el, formatPrice, parsePrice, shortDateTime, toast } from "./common.js";
import { commerceError, couponTerms, isoAfter, skuLabel } from "./commerce.js";
import { RoomOrders } from "./host_orders.js";
import { ShelfTest } from "./host_shelf_test.js";
import { ShopPicker } from "./shop_picker.js";

const $ = (id) => document.getElementById(id);

function run(action, success) {
  return action.then(
    (result) => {
      if (success) toast(success);
      return result;
    },
    (error) => {
      toast(commerceError(error));
      return null;
    },
  );
}

function numberOf(id) {
  return Number($(id).value);
}

export class HostShop {
  constructor({ roomId, onPinned }) {
    this.roomId = roomId;
    this.base = `/api/rooms/${roomId}`;
    this.onPinned = onPinned;
    this.shelf = [];
    this.pinnedId = null;
    this.sales = new Map();
    this.coupons = new Map();
    this.draws = new Map();
    this.orders = new RoomOrders(roomId);
    this.shelfTest = new ShelfTest({ roomId });
    this.shops = new ShopPicker({ search: $("shop-search"), select: $("shop-id"), ownShopId: $("shop-form").dataset.ownShop });
    this.bind();
  }

  bind() {
    $("shop-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.loadShopProducts();
    });
    $("shop-id").addEventListener("change", () => this.loadShopProducts());
    $("flash-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.createFlashSale();
    });
    $("coupon-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.createCoupon();
    });
    $("draw-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.createDraw();
    });
  }

  async start() {
    await this.loadShelf();
    this.shelfTest.load();
    await this.shops.find("");
    if (this.shops.shopId) this.loadShopProducts();
    const [sales, coupons, draws] = await Promise.all([
      api("GET", `${this.base}/flash-sales`).catch(() => []),
      api("GET", `${this.base}/coupons`).catch(() => []),
      api("GET", `${this.base}/draws`).catch(() => []),
    ]);
    for (const sale of sales) this.sales.set(sale.id, sale);
    for (const coupon of coupons) this.coupons.set(coupon.id, coupon);
    for (const draw of draws) this.draws.set(draw.id, draw);
    this.renderPromotions();
    this.orders.load(1);
  }

  // --- shelf and pinning ---

  async loadShelf() {
    const shelf = await run(api("GET", `${this.base}/shelf`));
    if (shelf) {
      this.shelf = shelf;
      this.renderShelf();
    }
  }

  async setShelf(productIds, success) {
    const shelf = await run(api("PUT", `${this.base}/shelf`, { product_ids: productIds }), success);
    if (!shelf) return false;
    this.shelf = shelf;
    this.renderShelf();
    return true;
  }

  async pin(productId) {
    const room = await run(api("PUT", `${this.base}/pinned`, { product_id: productId }), _("已置顶讲解"));
    if (!room) return;
    this.onPinned(room.pinned);
    await this.loadShelf(); // pinning puts a product on the shelf if it was not
  }

  setPinned(card) {
    const id = card ? card.product_id : null;
    if (id === this.pinnedId) return;
    this.pinnedId = id;
    this.renderShelf();
  }

  productRow(product, actions) {
    return el("li", { className: `host-product${product.id === this.pinnedId ? " is-pinned" : ""}`, dataset: { productId: product.id } }, [
      el("span", { className: "host-product-id", text: `#${product.id}` }),
      el("span", { className: "host-product-title", typed: product.title }),
      el("span", { className: "host-product-price", text: formatPrice(product.min_price, product.currency) }),
      el("span", { className: "muted host-product-stock", text: _("库存 {stock}", { stock: product.total_stock }) }),
      el("span", { className: "host-product-actions" }, actions),
    ]);
  }

  button(label, action, className = "btn btn-small") {
    const button = el("button", { className, text: label, attrs: { type: "button" } });
    button.addEventListener("click", action);
    return button;
  }

  renderShelf() {
    $("host-shelf-count").textContent = this.shelf.length ? _("{count} 件", { count: this.shelf.length }) : _("空");
    $("host-shelf").replaceChildren(
      ...this.shelf.map((product) =>
        this.productRow(product, [
          product.id === this.pinnedId
            ? el("span", { className: "tag tag-notice", text: _("讲解中") })
            : this.button(_("讲解"), () => this.pin(product.id), "btn btn-small btn-primary pin-btn"),
          this.button(_("下架"), () => this.setShelf(this.shelf.map((p) => p.id).filter((id) => id !== product.id), _("已下架")), "btn btn-small shelf-remove-btn"),
        ]),
      ),
    );
    this.shelfTest.setShelf(this.shelf);
    this.fillSkuSelects();
  }

  async loadShopProducts() {
    const shopId = this.shops.shopId;
    if (shopId === null) {
      toast(_("请选择店铺"));
      return;
    }
    const products = await run(api("GET", `/api/shops/${shopId}/products`));
    if (!products) return;
    $("shop-products").replaceChildren(
      ...products.map((product) =>
        this.productRow(product, [
          this.button(_("加入货架"), () => this.setShelf([...this.shelf.map((p) => p.id).filter((id) => id !== product.id), product.id], _("已加入货架")), "btn btn-small shelf-add-btn"),
          this.button(_("讲解"), () => this.pin(product.id), "btn btn-small btn-primary pin-btn"),
        ]),
      ),
    );
  }

  /** The SKU pickers of the flash-sale and lucky-draw forms list the shelf's SKUs. */
  fillSkuSelects() {
    for (const id of ["flash-sku", "draw-sku"]) {
      const select = $(id);
      const before = select.value;
      const options = [];
      for (const product of this.shelf) {
        for (const sku of product.skus) {
          const label = `${product.title} · ${skuLabel(sku.options)} · ${formatPrice(sku.price, product.currency)} · ${_("库存 {stock}", { stock: sku.stock })}`;
          options.push(el("option", { text: label, attrs: { value: sku.id } }));
        }
      }
      if (!options.length) options.push(el("option", { text: _("先把商品加入货架"), attrs: { value: "" } }));
      select.replaceChildren(...options);
      if ([...select.options].some((option) => option.value === before)) select.value = before;
    }
  }

  skuName(skuId) {
    for (const product of this.shelf) {
      const sku = product.skus.find((candidate) => candidate.id === skuId);
      if (sku) return `${product.title} · ${skuLabel(sku.options)}`;
    }
    return `SKU #${skuId}`;
  }

  // --- flash sales, coupons, draws ---

  async createFlashSale() {
    const price = parsePrice($("flash-price").value);
    const skuId = Number($("flash-sku").value);
    if (price === null || !skuId) {
      toast(_("请选择商品并填写秒杀价"));
      return;
    }
    const startsIn = numberOf("flash-start");
    const body = {
      room_id: this.roomId,
      sku_id: skuId,
      price,
      quantity: numberOf("flash-quantity"),
      per_user_limit: numberOf("flash-limit"),
      starts_at: isoAfter(startsIn),
      ends_at: isoAfter(startsIn + numberOf("flash-duration") * 60),
    };
    const sale = await run(api("POST", "/api/flash-sales", body), _("秒杀已创建"));
    if (sale) {
      this.sales.set(sale.id, sale);
      this.renderPromotions();
    }
  }

  async createCoupon() {
    const kind = $("coupon-kind").value;
    const amount = parsePrice($("coupon-amount").value) ?? 0;
    const threshold = parsePrice($("coupon-threshold").value) ?? 0;
    const body = {
      code: `R${this.roomId}-${Date.now().toString(36).toUpperCase()}`,
      name: $("coupon-name").value.trim(),
      kind,
      amount: kind === "percent" ? 0 : amount,
      threshold: kind === "threshold" ? threshold : 0,
      percent: kind === "percent" ? numberOf("coupon-percent") : 0,
      room_id: this.roomId,
      starts_at: isoAfter(-5),
      ends_at: isoAfter(numberOf("coupon-minutes") * 60),
      total_quantity: numberOf("coupon-total"),
      per_user_limit: numberOf("coupon-limit"),
    };
    const coupon = await run(api("POST", "/api/coupons", body), _("优惠券已发放"));
    if (coupon) {
      this.coupons.set(coupon.id, coupon);
      this.renderPromotions();
    }
  }

  async createDraw() {
    const tasks = {};
    const keyword = $("draw-keyword").value.trim();
    if (keyword) tasks.comment_keyword = keyword;
    if (numberOf("draw-watch") > 0) tasks.watch_minutes = numberOf("draw-watch");
    if ($("draw-bought").checked) tasks.bought_in_room = true;
    const body = {
      room_id: this.roomId,
      title: $("draw-title").value.trim(),
      prize_sku_id: Number($("draw-sku").value),
      winners_count: numberOf("draw-winners"),
      tasks,
      deadline: isoAfter(numberOf("draw-deadline")),
    };
    const draw = await run(api("POST", "/api/draws", body), _("福袋已发起"));
    if (draw) {
      this.draws.set(draw.id, draw);
      this.renderPromotions();
    }
  }

  async runDraw(drawId) {
    const draw = await run(api("POST", `/api/draws/${drawId}/draw`), _("已开奖"));
    if (draw) {
      this.draws.set(draw.id, draw);
      this.renderPromotions();
    }
  }

  applyNotices(notices) {
    let purchase = false;
    for (const [topic, payload] of Object.entries(notices || {})) {
      const [kind, id] = topic.split(":");
      if (kind === "purchase") purchase = true;
      if (!payload || !id) continue;
      if (kind === "flash_sale") this.sales.set(payload.id, { ...(this.sales.get(payload.id) || {}), ...payload });
      else if (kind === "coupon") this.coupons.set(payload.id, payload);
      else if (kind === "draw") this.draws.set(payload.id, payload);
    }
    this.renderPromotions();
    if (purchase) this.orders.load();
  }

  renderPromotions() {
    const sales = [...this.sales.values()].sort((a, b) => b.id - a.id);
    $("host-flash-list").replaceChildren(
      ...sales.map((sale) =>
        el("li", { className: "host-item", dataset: { saleId: sale.id } }, [
          el("b", { text: this.skuName(sale.sku_id) }),
          el("span", { text: ` ${formatPrice(sale.price)} · ` }),
          el("span", { className: "sale-remaining", text: _("剩余 {left}/{total}", { left: sale.remaining, total: sale.quantity }) }),
          el("small", { className: "muted", text: " · " + _("{time} 开抢", { time: shortDateTime(sale.starts_at) }) }),
        ]),
      ),
    );
    const coupons = [...this.coupons.values()].sort((a, b) => b.id - a.id);
    $("host-coupon-list").replaceChildren(
      ...coupons.map((coupon) =>
        el("li", { className: "host-item", dataset: { couponId: coupon.id } }, [
          el("b", { typed: coupon.name }),
          el("span", { text: ` ${couponTerms(coupon)} · ` }),
          el("span", { className: "coupon-remaining", text: _("已领 {claimed}/{total}", { claimed: coupon.claimed, total: coupon.total_quantity }) }),
        ]),
      ),
    );
    const draws = [...this.draws.values()].sort((a, b) => b.id - a.id);
    $("host-draw-list").replaceChildren(
      ...draws.map((draw) => {
        const drawn = draw.status === "drawn";
        const li = el("li", { className: "host-item", dataset: { drawId: draw.id, status: draw.status } }, [
          el("b", { typed: draw.title }),
          el("span", { text: drawn ? " " + _("已开奖 · 中奖 {winners}", { winners: (draw.winners || []).map((id) => "#" + id).join(_("、")) || _("无") }) : ` ${_("{time} 开奖", { time: shortDateTime(draw.deadline) })} ` }),
        ]);
        if (!drawn) li.append(this.button(_("开奖"), () => this.runDraw(draw.id), "btn btn-small run-draw-btn"));
        else li.append(el("a", { text: " " + _("验证"), attrs: { href: `/api/draws/${draw.id}/verification`, target: "_blank", rel: "noopener" } }));
        return li;
      }),
    );
  }
}
