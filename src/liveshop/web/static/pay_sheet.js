// The payment panel (inside a bottom sheet): saved cards (default first), the wallet balance,
// a third-party wallet; adding a card; one click pays with the selected (default) method; then
// the challenge step (the sandbox's code, the buyer's authenticator app, or their passkey), the redirect to
// the wallet provider, or polling while the gateway's notification is on its way.
import { _, api, el, formatPrice, idempotencyKey, toast } from "./common.js";
import { openSheet } from "./commerce.js";
import { passkeyError, passkeysSupported, usePasskey } from "./passkeys.js";
import { DECLINE_LABELS, cardLabel, paymentError, readCard, savedMethods } from "./payments.js";

const POLL_MS = 500;
const POLL_TRIES = 40; // 20 s: the sandbox notifies within a second or so
const SETTLED = new Set(["succeeded", "failed", "refunded"]);

const $ = (id) => document.getElementById(id);

export class PaymentPanel {
  /** `sheet` is the bottom sheet that holds the panel (#pay-panel). */
  constructor(sheet) {
    this.sheet = sheet;
    this.job = null; // { subject, amount, currency, allowWallet, start, returnPath, onSettled }
    this.methods = [];
    this.oneTimeCard = null; // a card added without 保存此卡: for this payment only, not listed
    this.wallet = null;
    this.choice = null; // "card:12" | "wallet" | "third_party"
    this.payment = null;
    this.busy = false;
    this.pollToken = 0;
    $("pay-submit").addEventListener("click", () => this.pay());
    $("pay-add-card-toggle").addEventListener("click", () => this.toggleCardForm());
    $("pay-card-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.addCard();
    });
    $("pay-challenge").addEventListener("submit", (event) => {
      event.preventDefault();
      this.answerChallenge();
    });
    $("pay-retry").addEventListener("click", () => this.showStep("choose"));
    $("pay-passkey").addEventListener("click", () => this.answerWithPasskey());
  }

  /**
   * Show the panel for one payable thing. `start({method, payment_method_id}, key)` makes the
   * payment (POST /api/payments or /api/top-ups); `returnPath(payment)` is where the wallet
   * provider sends the buyer back; `onSettled(payment)` runs once the outcome is known.
   */
  async open(job) {
    this.job = { allowWallet: true, currency: "CNY", link: null, retryable: true, ...job };
    this.payment = null;
    this.oneTimeCard = null;
    this.pollToken += 1;
    $("pay-panel").hidden = false;
    $("pay-subject").textContent = this.job.subject || "";
    $("pay-amount").textContent = formatPrice(this.job.amount, this.job.currency);
    this.showStep("choose");
    $("pay-submit").disabled = true; // a tap before the methods are known would pay with none
    if (this.sheet) openSheet(this.sheet);
    await this.loadMethods();
  }

  /** Back from the wallet provider (or a reload): wait for the payment's outcome. */
  async resume(job, paymentId) {
    this.job = { allowWallet: true, currency: "CNY", link: null, retryable: true, ...job };
    $("pay-panel").hidden = false;
    $("pay-subject").textContent = this.job.subject || "";
    $("pay-amount").textContent = formatPrice(this.job.amount, this.job.currency);
    if (this.sheet) openSheet(this.sheet);
    this.showWaiting();
    try {
      this.handle(await api("GET", `/api/payments/${paymentId}`));
    } catch (error) {
      this.showResult("failed", paymentError(error));
    }
  }

  hide() {
    this.pollToken += 1;
    $("pay-panel").hidden = true;
  }

  showStep(step) {
    $("pay-panel").dataset.state = step;
    $("pay-choose").hidden = step !== "choose";
    $("pay-challenge").hidden = step !== "challenge";
    $("pay-result").hidden = step !== "result" && step !== "waiting";
  }

  // --- methods ---

  async loadMethods() {
    const [methods, wallet] = await Promise.all([
      savedMethods().catch(() => []),
      api("GET", "/api/wallet").catch(() => null),
    ]);
    this.methods = this.oneTimeCard ? [...methods, this.oneTimeCard] : methods;
    this.wallet = wallet;
    if (!this.choice || !this.isAvailable(this.choice)) this.choice = this.defaultChoice();
    if (!this.methods.length) $("pay-card-form").hidden = false;
    this.renderMethods();
  }

  walletCovers() {
    return this.wallet !== null && this.wallet.wallet >= this.job.amount;
  }

  isAvailable(choice) {
    if (choice === "third_party") return true;
    if (choice === "wallet") return this.job.allowWallet && this.walletCovers();
    return this.methods.some((method) => `card:${method.id}` === choice);
  }

  defaultChoice() {
    const card = this.methods.find((method) => method.is_default) || this.methods[0];
    if (card) return `card:${card.id}`;
    if (this.job.allowWallet && this.walletCovers()) return "wallet";
    return "third_party";
  }

  renderMethods() {
    const items = this.methods.map((method) =>
      this.methodItem(`card:${method.id}`, cardLabel(method), _("有效期 {month}/{year}", { month: String(method.exp_month).padStart(2, "0"), year: String(method.exp_year).slice(-2) }), {
        tag: method.is_default ? _("默认") : method.saved === false ? _("仅本次") : null,
      }),
    );
    if (this.job.allowWallet) {
      const balance = this.wallet ? formatPrice(this.wallet.wallet) : "—";
      items.push(this.methodItem("wallet", _("钱包余额"), this.walletCovers() ? _("可用 {balance}", { balance }) : _("余额 {balance}，不足", { balance }), { disabled: !this.walletCovers() }));
    }
    items.push(this.methodItem("third_party", _("沙箱钱包"), _("第三方支付，跳转到钱包页面确认")));
    $("pay-methods").replaceChildren(...items);
    this.renderSubmit();
  }

  methodItem(value, title, detail, { tag = null, disabled = false } = {}) {
    const input = el("input", { attrs: { type: "radio", name: "pay-method", value } });
    input.checked = value === this.choice;
    input.disabled = disabled;
    input.addEventListener("change", () => {
      this.choice = value;
      this.renderSubmit();
    });
    const kind = value.split(":")[0];
    return el("li", { className: `pay-method method-${kind}${disabled ? " is-disabled" : ""}`, dataset: { method: value } }, [
      el("label", { className: "pay-method-label" }, [
        input,
        el("span", { className: "pay-method-body" }, [
          el("b", { className: "pay-method-title", text: title }),
          tag ? el("span", { className: "tag tag-notice", text: tag }) : null,
          el("small", { className: "muted pay-method-detail", text: detail }),
        ]),
      ]),
    ]);
  }

  renderSubmit() {
    const button = $("pay-submit");
    const verb = this.choice === "third_party" ? _("去沙箱钱包支付") : _("确认支付");
    button.textContent = `${verb} ${formatPrice(this.job.amount, this.job.currency)}`;
    button.disabled = this.busy || !this.choice;
  }

  toggleCardForm() {
    const form = $("pay-card-form");
    form.hidden = !form.hidden;
    if (!form.hidden) $("pay-card-number").focus();
  }

  async addCard() {
    const read = readCard({
      number: $("pay-card-number").value,
      expiry: $("pay-card-expiry").value,
      cvc: $("pay-card-cvc").value,
      holder: $("pay-card-holder").value,
    });
    if (read.error) {
      toast(read.error);
      return;
    }
    $("pay-card-save").disabled = true;
    this.busy = true; // paying waits for the new card
    this.renderSubmit();
    try {
      // Kept only when ticked, and ticking it is the stored_cards consent (sensitive data).
      const keep = $("pay-card-keep").checked;
      const method = await api("POST", "/api/payment-methods", { ...read.body, save: keep, save_consent: keep });
      $("pay-card-form").reset(); // the number and the CVC do not stay in the page
      $("pay-card-form").hidden = true;
      this.oneTimeCard = method.saved ? null : method;
      this.choice = `card:${method.id}`;
      toast(method.saved ? _("已保存 {card}", { card: cardLabel(method) }) : _("{card} 仅用于本次支付", { card: cardLabel(method) }));
      await this.loadMethods();
    } catch (error) {
      toast(paymentError(error));
    } finally {
      $("pay-card-save").disabled = false;
      this.busy = false;
      this.renderSubmit();
    }
  }

  // --- paying ---

  choiceBody() {
    if (this.choice === "wallet") return { method: "wallet" };
    if (this.choice === "third_party") return { method: "third_party" };
    return { method: "card", payment_method_id: Number(this.choice.split(":")[1]) };
  }

  async pay() {
    if (this.busy || !this.choice) return;
    this.busy = true;
    this.renderSubmit();
    try {
      this.handle(await this.job.start(this.choiceBody(), idempotencyKey()));
    } catch (error) {
      toast(paymentError(error));
    } finally {
      this.busy = false;
      this.renderSubmit();
    }
  }

  handle(payment) {
    this.payment = payment;
    $("pay-panel").dataset.paymentId = String(payment.id);
    if (payment.status === "succeeded" || payment.status === "failed" || payment.status === "refunded") {
      this.settle(payment);
    } else if (payment.status === "requires_action" && payment.challenge) {
      this.showChallenge(payment.challenge);
    } else if (payment.status === "requires_action" && payment.redirect_url) {
      this.redirect(payment);
    } else {
      this.poll(payment);
    }
  }

  redirect(payment) {
    if (!payment.redirect_url.startsWith("/sandbox/wallet/")) {
      this.showResult("failed", _("未知的支付页面"));
      return;
    }
    const back = this.job.returnPath ? this.job.returnPath(payment) : location.pathname;
    location.assign(`${payment.redirect_url}?return=${encodeURIComponent(back)}`);
  }

  showChallenge(challenge) {
    this.showStep("challenge");
    const totp = challenge.method === "totp";
    $("pay-challenge-text").textContent = totp
      ? _("本次支付需要验证：请输入身份验证器 App 中的 6 位动态码（也可用恢复码）。")
      : _("本次支付需要验证：请输入银行发送的 6 位验证码。");
    $("pay-sandbox-hint").hidden = !challenge.sandbox_code;
    $("pay-sandbox-code").textContent = challenge.sandbox_code || "";
    $("pay-code").setAttribute("inputmode", totp ? "text" : "numeric");
    $("pay-code").value = "";
    $("pay-code-error").hidden = true;
    $("pay-code").focus();
    this.offerPasskey();
  }

  /** Offer the buyer's passkey (instead of the code) when they have one and the browser can. */
  async offerPasskey() {
    $("pay-passkey-box").hidden = true;
    if (!passkeysSupported()) return;
    const passkeys = await api("GET", "/api/me/passkeys").catch(() => []);
    $("pay-passkey-box").hidden = passkeys.length === 0;
  }

  /** The assertion's challenge is bound to this payment (its amount and payee) by the server. */
  async answerWithPasskey() {
    if (this.busy) return;
    this.busy = true;
    $("pay-passkey").disabled = true;
    $("pay-code-error").hidden = true;
    try {
      const options = await api("POST", `/api/payments/${this.payment.id}/passkey-options`);
      const credential = await usePasskey(options);
      this.handle(await api("POST", `/api/payments/${this.payment.id}/passkey`, { credential }));
    } catch (error) {
      this.refused(error, passkeyError(error));
    } finally {
      this.busy = false;
      $("pay-passkey").disabled = false;
    }
  }

  /** A refused step-up answer: the payment failed, the challenge is over, or try again. */
  refused(error, message) {
    const payment = error.data && error.data.payment;
    if (payment && payment.status === "failed") {
      this.settle(payment);
    } else if (error.code === "second_factor_locked" || error.code === "challenge_void") {
      this.showResult("failed", paymentError(error));
    } else {
      $("pay-code-error").textContent = message;
      $("pay-code-error").hidden = false;
    }
  }

  async answerChallenge() {
    const code = $("pay-code").value.trim().toLowerCase();
    if (!code || this.busy) return;
    this.busy = true;
    $("pay-code-submit").disabled = true;
    try {
      this.handle(await api("POST", `/api/payments/${this.payment.id}/challenge`, { code }));
    } catch (error) {
      this.refused(error, error.status === 422 && !error.data?.code ? _("验证码应为 6 位数字或恢复码") : paymentError(error));
    } finally {
      this.busy = false;
      $("pay-code-submit").disabled = false;
    }
  }

  showWaiting() {
    this.showStep("waiting");
    $("pay-result-icon").textContent = "⏳";
    $("pay-result-text").textContent = _("正在确认支付结果…");
    $("pay-result-text").dataset.status = "pending";
    $("pay-result-detail").textContent = "";
    $("pay-retry").hidden = true;
    $("pay-result-link").hidden = true;
  }

  async poll(payment) {
    this.showWaiting();
    const token = ++this.pollToken;
    for (let attempt = 0; attempt < POLL_TRIES; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (token !== this.pollToken) return; // the sheet moved on
      let latest;
      try {
        latest = await api("GET", `/api/payments/${payment.id}`);
      } catch {
        continue;
      }
      if (SETTLED.has(latest.status) || (latest.status === "requires_action" && latest.challenge)) {
        this.handle(latest);
        return;
      }
    }
    this.showResult("pending", _("支付结果还在路上，稍后可在订单或钱包中查看。"));
  }

  settle(payment) {
    if (payment.status === "succeeded") this.showResult("succeeded", "");
    else this.showResult("failed", DECLINE_LABELS[payment.decline_code] || payment.decline_code || _("支付未完成"));
    if (this.job.onSettled) this.job.onSettled(payment);
  }

  showResult(status, detail) {
    this.showStep("result");
    const texts = { succeeded: _("支付成功"), failed: _("支付失败"), pending: _("支付处理中") };
    $("pay-result-icon").textContent = status === "succeeded" ? "✓" : status === "failed" ? "!" : "⏳";
    $("pay-result-text").textContent = texts[status];
    $("pay-result-text").dataset.status = status;
    $("pay-result-detail").textContent = detail;
    $("pay-retry").hidden = status !== "failed" || !this.job.retryable;
    const link = $("pay-result-link");
    link.hidden = !this.job.link;
    if (this.job.link) {
      link.href = this.job.link.href;
      link.textContent = this.job.link.text;
    }
    if (status === "failed" && this.job.retryable) this.loadMethods();
  }
}
