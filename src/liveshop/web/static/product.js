// The product page: follow the shop, mark reviews helpful, close the share sheet (opened
// by share.js). Text reaches the page through textContent only.
import { _, api } from "/static/common.js";
import { bindSheets } from "/static/commerce.js";

const page = document.getElementById("product");
const toast = document.getElementById("toast");

function say(message) {
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { toast.hidden = true; }, 2500);
}

const follow = document.getElementById("follow-shop");
if (follow) {
  follow.addEventListener("click", async () => {
    if (follow.dataset.following === "yes") return;
    follow.disabled = true;
    try {
      await api("POST", `/api/shops/${page.dataset.shopId}/follow`);
      follow.dataset.following = "yes";
      follow.textContent = _("已关注");
      follow.classList.replace("btn-primary", "btn-ghost");
      say(_("已关注，开播会提醒你"));
    } catch (error) {
      say(error.message);
    } finally {
      follow.disabled = false;
    }
  });
}

for (const button of document.querySelectorAll("button.helpful")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const review = await api("POST", `/api/reviews/${button.dataset.reviewId}/helpful`);
      button.querySelector(".helpful-count").textContent = String(review.helpful_count);
      button.classList.add("is-voted");
    } catch (error) {
      button.disabled = false;
      say(error.message);
    }
  });
}

bindSheets();
