// My wallet: balances (wallet, coins, host earnings), top-ups paid in the payment sheet,
// saved cards (make default, remove) and the history of every movement.
import { _, api, el, formatPrice, parsePrice, shortDateTime, toast } from "./common.js";
import { bindSheets } from "./commerce.js";
import { PaymentPanel } from "./pay_sheet.js";
import { ACCOUNT_LABELS, cardLabel, movementDetail, movementLabel, paymentError, savedMethods } from "./payments.js";

const $ = (id) => document.getElementById(id);
const COIN_VALUE = 10; // 分 per coin, as the server's wallets.COIN_VALUE
const PRESETS = {
  coins: [60, 300, 980, 3000], // coins
  wallet: [1000, 5000, 10000, 50000], // 分
};

const payments = new PaymentPanel($("pay-sheet"));
let kind = new URLSearchParams(location.search).get("topup") === "wallet" ? "wallet" : "coins";

async function loadBalances() {
  const wallet = await api("GET", "/api/wallet");
  $("balance-wallet").textContent = formatPrice(wallet.wallet);
  $("balance-coins").textContent = String(wallet.coins);
  if ($("balance-earnings")) $("balance-earnings").textContent = formatPrice(wallet.host_earnings);
}

async function loadHistory() {
  const movements = await api("GET", "/api/wallet/history?limit=200");
  $("history-empty").hidden = movements.length > 0;
  $("history").querySelector("tbody").replaceChildren(
    ...movements.map((movement) => {
      const coins = movement.account === "buyer_coins";
      const sign = movement.amount > 0 ? "+" : "";
      const amount = coins ? sign + _("{coins} 金币", { coins: movement.amount / COIN_VALUE }) : `${sign}${formatPrice(movement.amount)}`;
      return el("tr", { className: `movement kind-${movement.kind}`, dataset: { kind: movement.kind, account: movement.account } }, [
        el("td", { text: shortDateTime(movement.at) }),
        el("td", { text: ACCOUNT_LABELS[movement.account] || movement.account }),
        el("td", { text: movementLabel(movement.kind) }),
        el("td", { className: "muted", text: movementDetail(movement) }),
        el("td", { className: `num ${movement.amount < 0 ? "is-out" : "is-in"}`, text: amount }),
      ]);
    }),
  );
}

function refresh() {
  return Promise.all([loadBalances(), loadHistory(), loadCards()]).catch((error) => toast(paymentError(error)));
}

// --- cards ---

async function loadCards() {
  const methods = await savedMethods();
  $("cards-empty").hidden = methods.length > 0;
  $("card-list").replaceChildren(...methods.map(renderCard));
}

function renderCard(method) {
  const li = el("li", { className: "saved-card", dataset: { methodId: method.id } }, [
    el("b", { className: "saved-card-label", text: cardLabel(method) }),
    el("span", { className: "muted", text: " " + _("有效期 {month}/{year}", { month: String(method.exp_month).padStart(2, "0"), year: String(method.exp_year).slice(-2) }) }),
    method.holder ? el("span", { className: "muted" }, [" · ", el("span", { typed: method.holder })]) : null,
  ]);
  const actions = el("span", { className: "saved-card-actions" });
  if (method.is_default) {
    actions.append(el("span", { className: "tag tag-notice", text: _("默认") }));
  } else {
    const make = el("button", { className: "btn btn-small make-default", text: _("设为默认"), attrs: { type: "button" } });
    make.addEventListener("click", async () => {
      try {
        await api("POST", `/api/payment-methods/${method.id}/default`);
        await loadCards();
      } catch (error) {
        toast(paymentError(error));
      }
    });
    actions.append(make);
  }
  const remove = el("button", { className: "btn btn-small btn-ghost remove-card", text: _("删除"), attrs: { type: "button" } });
  remove.addEventListener("click", async () => {
    if (!remove.classList.contains("is-armed")) {
      remove.classList.add("is-armed");
      remove.textContent = _("确认删除？");
      return;
    }
    try {
      await api("DELETE", `/api/payment-methods/${method.id}`);
      toast(_("已删除"));
      await loadCards();
    } catch (error) {
      toast(paymentError(error));
    }
  });
  actions.append(remove);
  li.append(actions);
  return li;
}

// --- top-up ---

/** The amount typed or picked, in 分, or null. Coins are whole numbers. */
function topUpAmount() {
  const text = $("topup-amount").value.trim();
  if (kind === "coins") return /^\d{1,7}$/.test(text) && Number(text) > 0 ? Number(text) * COIN_VALUE : null;
  return parsePrice(text);
}

function topUpSubject(amount) {
  return kind === "coins" ? _("购买 {coins} 金币", { coins: amount / COIN_VALUE }) : _("充值到钱包 {amount}", { amount: formatPrice(amount) });
}

function renderPresets() {
  $(`topup-kind-${kind}`).checked = true;
  $("topup-unit-label").textContent = kind === "coins" ? _("金币数") : _("金额（元）");
  $("topup-presets").replaceChildren(
    ...PRESETS[kind].map((value) => {
      const label = kind === "coins" ? _("{coins} 金币", { coins: value }) : formatPrice(value);
      const chip = el("button", { className: "sku-chip topup-preset", text: label, attrs: { type: "button" }, dataset: { value } });
      chip.addEventListener("click", () => {
        $("topup-amount").value = kind === "coins" ? String(value) : String(value / 100);
        showPrice();
      });
      return chip;
    }),
  );
  $("topup-amount").value = kind === "coins" ? String(PRESETS.coins[0]) : String(PRESETS.wallet[0] / 100);
  showPrice();
}

function showPrice() {
  const amount = topUpAmount();
  for (const chip of $("topup-presets").children) {
    const value = Number(chip.dataset.value);
    chip.classList.toggle("is-selected", amount === (kind === "coins" ? value * COIN_VALUE : value));
  }
  $("topup-price").textContent = amount ? _("{subject}，需支付 {amount}", { subject: topUpSubject(amount), amount: formatPrice(amount) }) : _("请输入金额");
  $("topup-submit").disabled = !amount;
}

function topUpJob(topUpKind, amount) {
  return {
    subject: topUpKind === "coins" ? _("购买 {coins} 金币", { coins: amount / COIN_VALUE }) : _("充值到钱包"),
    amount,
    allowWallet: topUpKind === "coins", // the wallet cannot top itself up
    start: (choice, key) => api("POST", "/api/top-ups", { kind: topUpKind, amount, ...choice }, { "Idempotency-Key": key }),
    returnPath: (payment) => `/wallet?payment=${payment.id}&topup=${topUpKind}`,
    onSettled: (payment) => {
      if (payment.status === "succeeded") toast(topUpKind === "coins" ? _("金币已到账") : _("已充值到钱包"));
      refresh();
    },
  };
}

for (const radio of document.querySelectorAll('#topup-form input[name="kind"]')) {
  radio.addEventListener("change", () => {
    kind = radio.value;
    renderPresets();
  });
}
$("topup-amount").addEventListener("input", showPrice);
$("topup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const amount = topUpAmount();
  if (!amount) return;
  $("pay-sheet-title").textContent = kind === "coins" ? _("购买金币") : _("充值");
  payments.open(topUpJob(kind, amount));
});

/** Back from the third-party wallet's page: show how the top-up ended. */
async function resumeTopUp() {
  const query = new URLSearchParams(location.search);
  const paymentId = Number(query.get("payment"));
  if (!Number.isSafeInteger(paymentId) || paymentId <= 0) return;
  history.replaceState(null, "", location.pathname);
  try {
    const payment = await api("GET", `/api/payments/${paymentId}`);
    payments.resume(topUpJob(kind, payment.amount), paymentId);
  } catch (error) {
    toast(paymentError(error));
  }
}

bindSheets();
renderPresets();
refresh();
resumeTopUp();
