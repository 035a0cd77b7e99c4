// Picks a shop by its name (GET /api/shops?q=), not by typing its id: the host console's
// shop select, filled as the host types and preselected with the host's own shop.
import { _, api, el } from "./common.js";

const SEARCH_DELAY_MS = 250;

export class ShopPicker {
  constructor({ search, select, ownShopId }) {
    this.search = search;
    this.select = select;
    this.ownShopId = ownShopId ? Number(ownShopId) : null;
    this.timer = 0;
    search.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.find(search.value.trim()), SEARCH_DELAY_MS);
    });
  }

  /** The chosen shop's id, or null. */
  get shopId() {
    const id = Number(this.select.value);
    return Number.isInteger(id) && id > 0 ? id : null;
  }

  async find(text) {
    const shops = await api("GET", `/api/shops?q=${encodeURIComponent(text)}`);
    const chosen = this.shopId ?? this.ownShopId;
    const options = shops.map((shop) => el("option", { typed: shop.name, attrs: { value: shop.id } }));
    this.select.replaceChildren(el("option", { text: shops.length ? _("请选择店铺") : _("没有找到店铺"), attrs: { value: "" } }), ...options);
    if (chosen && shops.some((shop) => shop.id === chosen)) this.select.value = String(chosen);
    else if (text && shops.length) this.select.value = String(shops[0].id);
    return shops;
  }
}
