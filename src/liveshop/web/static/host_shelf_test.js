// The host console's A/B test of the shelf's order: pick one of the shop's experiments
// and each variant's lead product (on this shelf); change or detach it until a viewer
// has seen their variant's order (the server refuses after: 409 experiment_exposed).
import { _, api, el, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const ERRORS = {
  experiment_exposed: _("已有观众看到了分组后的顺序，不能再更改或解除"),
  lead_not_on_shelf: _("首位商品要在本场货架上"),
};

export class ShelfTest {
  constructor({ roomId }) {
    this.url = `/api/rooms/${roomId}/shelf-experiment`;
    this.experiments = [];
    this.attached = null;
    this.shelf = [];
    $("shelf-test").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    $("shelf-test-experiment").addEventListener("change", () => this.renderLeads());
    $("shelf-test-detach").addEventListener("click", () => this.detach());
  }

  /** The shop's experiments and what is attached; the panel stays hidden for a host
   * who acts for no shop (nothing to test with). */
  async load() {
    this.experiments = await api("GET", "/api/experiments").catch(() => []);
    this.attached = await api("GET", this.url).catch(() => null);
    if (!this.experiments.length && !this.attached) return;
    const select = $("shelf-test-experiment");
    select.replaceChildren(
      el("option", { text: _("不测试"), attrs: { value: "" } }),
      ...this.experiments.map((experiment) => el("option", { typed: `#${experiment.id} ${experiment.name}`, attrs: { value: experiment.id } })),
    );
    if (this.attached) select.value = String(this.attached.experiment_id);
    $("shelf-test").hidden = false;
    this.render();
  }

  setShelf(shelf) {
    this.shelf = shelf;
    if (!$("shelf-test").hidden) this.renderLeads();
  }

  render() {
    const fixed = Boolean(this.attached && this.attached.exposed);
    $("shelf-test-state").textContent = this.attached ? _("测试中 · 实验 #{id}", { id: this.attached.experiment_id }) : "";
    $("shelf-test-fixed").hidden = !fixed;
    $("shelf-test-detach").hidden = !this.attached || fixed;
    $("shelf-test-save").hidden = fixed;
    $("shelf-test-experiment").disabled = fixed;
    this.renderLeads();
  }

  renderLeads() {
    const chosen = this.experiments.find((experiment) => String(experiment.id) === $("shelf-test-experiment").value);
    const fixed = Boolean(this.attached && this.attached.exposed);
    const leads = this.attached && chosen && chosen.id === this.attached.experiment_id ? this.attached.leads : {};
    $("shelf-test-leads").replaceChildren(
      ...(chosen ? chosen.variants : []).map((variant) => {
        const select = el("select", { dataset: { variant: variant.name } },
          this.shelf.map((product) => el("option", { typed: product.title, attrs: { value: product.id } })));
        if (leads[variant.name] !== undefined) select.value = String(leads[variant.name]);
        select.disabled = fixed;
        return el("label", { text: _("{variant} 组首位 ", { variant: variant.name }) }, [select]);
      }),
    );
  }

  async save() {
    const experimentId = Number($("shelf-test-experiment").value);
    if (!experimentId) {
      if (this.attached) await this.detach();
      return;
    }
    const leads = {};
    for (const select of $("shelf-test-leads").querySelectorAll("select")) leads[select.dataset.variant] = Number(select.value);
    try {
      this.attached = await api("PUT", this.url, { experiment_id: experimentId, leads });
      toast(_("购物袋顺序测试已保存"));
    } catch (error) {
      toast(ERRORS[error.code] || error.message);
    }
    this.render();
  }

  async detach() {
    try {
      await api("DELETE", this.url);
      this.attached = null;
      $("shelf-test-experiment").value = "";
      toast(_("已解除购物袋顺序测试"));
    } catch (error) {
      toast(ERRORS[error.code] || error.message);
    }
    this.render();
  }
}
