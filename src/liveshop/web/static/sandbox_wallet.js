// The sandbox's third-party wallet page: the buyer approves or cancels; the provider then
// notifies the shop (a signed webhook), and the buyer goes back where they came from.
import { _, api } from "./common.js";

const RETURN_DELAY_MS = 1200; // long enough to read the outcome
const $ = (id) => document.getElementById(id);
const card = $("provider");
const back = card.dataset.return;

async function decide(approve) {
  $("provider-approve").disabled = true;
  $("provider-cancel").disabled = true;
  const outcome = $("provider-outcome");
  try {
    await api("POST", `/api/sandbox/wallet/${encodeURIComponent(card.dataset.reference)}`, { approve });
    outcome.textContent = approve ? _("付款成功，正在返回商户…") : _("已取消付款，正在返回商户…");
    outcome.dataset.outcome = approve ? "approved" : "cancelled";
    outcome.hidden = false;
    $("provider-actions").hidden = true;
    setTimeout(() => location.assign(back), RETURN_DELAY_MS);
  } catch (error) {
    outcome.textContent = error.message || _("付款失败");
    outcome.dataset.outcome = "error";
    outcome.hidden = false;
    $("provider-approve").disabled = false;
    $("provider-cancel").disabled = false;
  }
}

$("provider-approve").addEventListener("click", () => decide(true));
$("provider-cancel").addEventListener("click", () => decide(false));
