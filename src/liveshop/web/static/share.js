// The share sheet of a room or a product page: the viewer's own share link of the
// page's [data-share-target] (channel "share", credited to them) with its QR code; the
// browser's share dialog where there is one (phones).
import { _, api } from "./common.js";
import { openSheet } from "./commerce.js";

const button = document.querySelector("button[data-share-target]");

async function share() {
  const link = await api("POST", "/api/share-links", { target: button.dataset.shareTarget });
  const url = document.getElementById("share-url");
  url.value = link.url;
  document.getElementById("share-qr").src = link.qr_url;
  openSheet(document.getElementById("share-sheet"));
  if (navigator.share && matchMedia("(pointer: coarse)").matches) {
    navigator.share({ title: document.title, url: link.url }).catch(() => {});
  }
}

if (button) {
  button.addEventListener("click", () => {
    share().catch((error) => {
      button.title = error.message || String(error);
    });
  });
  const copy = document.getElementById("share-copy");
  copy.addEventListener("click", async () => {
    const url = document.getElementById("share-url");
    url.select();
    try {
      await navigator.clipboard.writeText(url.value);
      copy.textContent = _("已复制");
    } catch {
      copy.textContent = _("请手动复制");
    }
  });
}
