// Earnings for hosts (and merchants who host): the host earnings balance and its entries
// (gift shares, commissions on orders paid in their rooms). A shop's payable is server-rendered.
import { _, api, el, formatPrice, shortDateTime, toast } from "./common.js";
import { movementDetail, movementLabel } from "./payments.js";

const $ = (id) => document.getElementById(id);
const HISTORY_LIMIT = 500; // the API's maximum

async function load() {
  const [wallet, movements] = await Promise.all([
    api("GET", "/api/wallet"),
    api("GET", `/api/wallet/history?limit=${HISTORY_LIMIT}`),
  ]);
  const earnings = movements.filter((movement) => movement.account === "host_earnings");
  const sumOf = (kind) => earnings.filter((movement) => movement.kind === kind).reduce((sum, movement) => sum + movement.amount, 0);
  $("host-earnings").textContent = formatPrice(wallet.host_earnings);
  $("gift-earnings").textContent = formatPrice(sumOf("gift"));
  $("commission-earnings").textContent = formatPrice(sumOf("order_paid"));
  $("earnings-empty").hidden = earnings.length > 0;
  $("earnings-history").querySelector("tbody").replaceChildren(
    ...earnings.map((movement) =>
      el("tr", { className: `earning kind-${movement.kind}`, dataset: { kind: movement.kind } }, [
        el("td", { text: shortDateTime(movement.at) }),
        el("td", { text: movementLabel(movement.kind) }),
        el("td", { className: "muted", text: movementDetail(movement) }),
        el("td", { className: `num ${movement.amount < 0 ? "is-out" : "is-in"}`, text: `${movement.amount > 0 ? "+" : ""}${formatPrice(movement.amount)}` }),
      ]),
    ),
  );
}

load().catch((error) => toast(error.message || _("加载失败")));
