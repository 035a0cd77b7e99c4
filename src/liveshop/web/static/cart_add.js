// 加入购物车 from the product page and the room's shelf: adds a SKU to the signed-in buyer's
// cart (kept on the server) and says how many items it now holds.
import { _, api, el, toast } from "./common.js";
import { commerceError } from "./commerce.js";

export async function addToCart(skuId, quantity = 1) {
  try {
    const cart = await api("POST", "/api/cart/items", { sku_id: skuId, quantity });
    toast(_("已加入购物车（共 {count} 件）", { count: cart.count }));
    return cart;
  } catch (error) {
    toast(error.status === 401 ? _("请先登录") : commerceError(error));
    return null;
  }
}

/** A 加入购物车 button for one SKU (`sku()` gives the SKU chosen when it is clicked). */
export function cartButton(sku, className = "btn btn-small") {
  const button = el("button", { className: `${className} cart-add`, text: _("加入购物车"), attrs: { type: "button" } });
  button.addEventListener("click", () => {
    const chosen = sku();
    if (chosen) addToCart(chosen.id);
  });
  return button;
}

// The product page's SKU rows carry their buttons in the template.
for (const button of document.querySelectorAll("[data-cart-sku]")) {
  button.addEventListener("click", () => addToCart(Number(button.dataset.cartSku)));
}
