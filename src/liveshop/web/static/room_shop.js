// The room's shelf (购物袋) and the pinned product card with its SKU choice and 立即购买.
import { _, api, el, formatPrice, showTyped } from "./common.js";
import { openSheet, skuLabel } from "./commerce.js";
import { cartButton } from "./cart_add.js";

const $ = (id) => document.getElementById(id);

// Why a shelf product comes where it does for this viewer, in the page's words (the
// recommendations' reason kinds, worded as web/feeds.py words them); a product there for
// being on the shelf says nothing more.
const SHELF_REASONS = {
  because_you_watched: (subject) => _("因为你看过「{subject}」", { subject }),
  because_you_just_looked_at: (subject) => _("你刚看过「{subject}」", { subject }),
  buy_again: () => _("再次购买"),
  picked_for_you: () => _("为你推荐"),
};

function shelfReason(item) {
  const words = SHELF_REASONS[item.reason_kind];
  return words ? words(item.reason_subject) : "";
}

export class RoomShop {
  /** shelfTested: the shelf's order is an A/B test, so the server's order is kept. */
  constructor({ roomId, checkout, onBuyClick, shelfTested = false }) {
    this.roomId = roomId;
    this.shelfTested = shelfTested;
    this.checkout = checkout;
    this.onBuyClick = onBuyClick;
    this.products = new Map(); // product id -> shelf product
    this.reasons = new Map(); // product id -> why it is where it is ("" or absent: nothing to say)
    this.pinned = null;
    this.selectedSku = null; // the chosen SKU id on the pinned card
    this.shelfLoaded = null;
    $("shelf-btn").addEventListener("click", () => this.openShelf());
    $("buy-btn").addEventListener("click", () => {
      if (this.onBuyClick) this.onBuyClick();
      this.buyPinned();
    });
  }

  /** The shelf, loaded once (and again when the pinned product is not on it yet). */
  loadShelf(force = false) {
    if (!this.shelfLoaded || force) {
      // The shelf in the order recommendations give for this room and viewer (unranked last),
      // unless the order is under test: then the viewer's variant decides it.
      const ranked = this.shelfTested
        ? Promise.resolve([])
        : api("GET", `/api/recommendations/products?context=room:${this.roomId}&limit=50`).then(
            (answer) => answer.items,
            () => [],
          );
      this.shelfLoaded = Promise.all([api("GET", `/api/rooms/${this.roomId}/shelf`), ranked]).then(
        ([products, items]) => {
          const order = items.map((item) => item.product_id);
          const rank = new Map(order.map((id, index) => [id, index]));
          this.reasons = new Map(items.map((item) => [item.product_id, shelfReason(item)]));
          products = [...products].sort((a, b) => (rank.get(a.id) ?? order.length) - (rank.get(b.id) ?? order.length));
          this.products = new Map(products.map((product) => [product.id, product]));
          this.renderShelf();
          return this.products;
        },
        () => this.products,
      );
    }
    return this.shelfLoaded;
  }

  /** The shelf product holding this SKU, if it is on the shelf. */
  productOfSku(skuId) {
    for (const product of this.products.values()) {
      const sku = product.skus.find((candidate) => candidate.id === skuId);
      if (sku) return { product, sku };
    }
    return null;
  }

  async openShelf() {
    openSheet($("shelf-sheet"));
    await this.loadShelf(true);
  }

  renderShelf() {
    const list = $("shelf-list");
    const products = [...this.products.values()];
    $("shelf-empty").hidden = products.length > 0;
    $("shelf-count").hidden = products.length === 0;
    $("shelf-count").textContent = String(products.length);
    $("shelf-total").textContent = products.length ? _("共 {count} 件商品", { count: products.length }) : "";
    list.replaceChildren(...products.map((product, index) => this.renderShelfItem(product, index)));
  }

  renderShelfItem(product, index) {
    const isPinned = this.pinned !== null && this.pinned.product_id === product.id;
    const li = el("li", { className: `shelf-item${isPinned ? " is-pinned" : ""}`, dataset: { productId: product.id } });
    const picture = product.images.length
      ? el("img", { className: "shelf-img", attrs: { src: product.images[0], alt: "" } })
      : el("span", { className: "shelf-img shelf-img-blank", text: product.title.slice(0, 1) });
    const prices = new Set(product.skus.map((sku) => sku.price));
    const priceText = formatPrice(product.min_price, product.currency) + (prices.size > 1 ? _(" 起") : "");
    const inStock = product.skus.filter((sku) => sku.stock > 0);
    let chosen = inStock.length ? inStock[0] : null;
    const chips = el("div", { className: "sku-options shelf-skus" });
    if (product.skus.length > 1) {
      for (const sku of product.skus) {
        const chip = el("button", {
          className: `sku-chip${chosen && sku.id === chosen.id ? " is-selected" : ""}`,
          text: skuLabel(sku.options),
          attrs: { type: "button", "aria-pressed": chosen && sku.id === chosen.id ? "true" : "false" },
          dataset: { skuId: sku.id },
        });
        chip.disabled = sku.stock <= 0;
        chip.addEventListener("click", () => {
          chosen = sku;
          for (const other of chips.children) {
            const on = other === chip;
            other.classList.toggle("is-selected", on);
            other.setAttribute("aria-pressed", on ? "true" : "false");
          }
        });
        chips.append(chip);
      }
    }
    const buy = el("button", { className: "btn btn-buy btn-small shelf-buy", text: inStock.length ? _("购买") : _("已售罄"), attrs: { type: "button" } });
    buy.disabled = !inStock.length;
    buy.addEventListener("click", () => this.buyFromShelf(product, () => chosen));
    li.append(
      el("span", { className: "shelf-index", text: index + 1 }),
      picture,
      el("div", { className: "shelf-body" }, [
        el("p", { className: "shelf-title" }, [isPinned ? el("span", { className: "tag tag-notice", text: _("讲解中") }) : null, el("span", { typed: product.title })]),
        this.reasons.get(product.id) ? el("p", { className: "shelf-reason", text: this.reasons.get(product.id) }) : null,
        el("p", { className: "shelf-meta" }, [
          el("strong", { className: "shelf-price", text: priceText }),
          el("span", { className: "muted shelf-stock", text: inStock.length ? _("库存 {count}", { count: product.total_stock }) : _("已售罄") }),
        ]),
        chips,
      ]),
      el("div", { className: "shelf-actions" }, [buy, inStock.length ? cartButton(() => chosen, "btn btn-small shelf-cart") : null]),
    );
    return li;
  }

  async buyFromShelf(product, chosenSku) {
    if (!this.checkout.requireSignIn()) return;
    const sku = chosenSku();
    if (!sku) return;
    const again = () => this.buyFromShelf(product, chosenSku);
    if (!(await this.checkout.ensureAddress(again))) return;
    try {
      await this.checkout.buySku({ skuId: sku.id, price: sku.price, shopId: product.shop_id, productId: product.id });
    } catch {
      // the toast said why
    }
    this.loadShelf(true);
  }

  // --- the pinned card ---

  showPinned(card) {
    const box = $("pinned");
    const changed = (card && card.product_id) !== (this.pinned && this.pinned.product_id);
    this.pinned = card;
    if (!card) {
      box.hidden = true;
      this.selectedSku = null;
      return;
    }
    box.hidden = false;
    box.dataset.productId = String(card.product_id);
    showTyped($("pinned-title"), card.title);
    const image = $("pinned-img");
    if (card.image_url) {
      if (image.getAttribute("src") !== card.image_url) image.src = card.image_url;
      image.hidden = false;
    } else {
      image.removeAttribute("src");
      image.hidden = true;
    }
    const skus = card.skus || [];
    const selected = skus.find((sku) => sku.id === this.selectedSku && sku.in_stock);
    if (changed || !selected) {
      const first = skus.find((sku) => sku.in_stock);
      this.selectedSku = first ? first.id : null;
    }
    this.renderSkus(card);
    const soldOut = !skus.some((sku) => sku.in_stock);
    $("buy-btn").disabled = soldOut;
    $("buy-btn").textContent = soldOut ? _("已售罄") : _("立即购买");
    if (changed && !this.products.has(card.product_id)) this.loadShelf(true);
    else if (changed) this.renderShelf();
  }

  selectedPinnedSku() {
    if (!this.pinned) return null;
    return (this.pinned.skus || []).find((sku) => sku.id === this.selectedSku) || null;
  }

  renderSkus(card) {
    const box = $("sku-options");
    const skus = card.skus || [];
    const chosen = this.selectedPinnedSku();
    $("pinned-price").textContent = formatPrice(chosen ? chosen.price : card.price, card.currency);
    if (skus.length <= 1) {
      box.replaceChildren();
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.replaceChildren(
      ...skus.map((sku) => {
        const on = sku.id === this.selectedSku;
        const chip = el("button", {
          className: `sku-chip${on ? " is-selected" : ""}${sku.in_stock ? "" : " is-sold-out"}`,
          text: skuLabel(sku.options),
          attrs: { type: "button", "aria-pressed": on ? "true" : "false", title: sku.in_stock ? formatPrice(sku.price, card.currency) : _("已售罄") },
          dataset: { skuId: sku.id },
        });
        chip.disabled = !sku.in_stock;
        chip.addEventListener("click", () => {
          this.selectedSku = sku.id;
          this.renderSkus(card);
        });
        return chip;
      }),
    );
  }

  async buyPinned() {
    if (!this.checkout.requireSignIn() || !this.pinned) return;
    if (!(await this.checkout.ensureAddress(() => this.buyPinned()))) return;
    const card = this.pinned;
    const sku = this.selectedPinnedSku();
    await this.loadShelf();
    const product = this.products.get(card.product_id);
    try {
      await this.checkout.buyNow({
        skuId: sku ? sku.id : null,
        price: sku ? sku.price : card.price,
        shopId: product ? product.shop_id : null,
        productId: card.product_id,
      });
    } catch {
      // the toast said why
    }
  }
}
