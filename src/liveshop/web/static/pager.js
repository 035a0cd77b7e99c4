// A list's pager for the back-office consoles: 上一页 / 第 x / y 页 / 下一页 below a list the
// server pages, so a console with hundreds of rows stays a page long (issue 18).
import { _, el } from "./common.js";

export class Pager {
  /** `host`: the element the pager fills; `load(page)`: fetches and renders one page. */
  constructor(host, load) {
    this.load = load;
    this.page = 1;
    this.pages = 1;
    this.prev = el("button", { className: "btn btn-small pager-prev", text: _("上一页"), attrs: { type: "button" } });
    this.next = el("button", { className: "btn btn-small pager-next", text: _("下一页"), attrs: { type: "button" } });
    this.label = el("span", { className: "muted pager-label" });
    this.prev.addEventListener("click", () => this.go(this.page - 1));
    this.next.addEventListener("click", () => this.go(this.page + 1));
    host.classList.add("pager");
    host.replaceChildren(this.prev, this.label, this.next);
    this.show(1, 1);
  }

  go(page) {
    return this.load(Math.max(1, page));
  }

  reload() {
    return this.load(this.page);
  }

  /** After a page loaded: which page it was and how many there are. */
  show(page, pages, hasNext = page < pages) {
    this.page = page;
    this.pages = Math.max(1, pages);
    this.label.textContent = _("第 {page} / {pages} 页", { page, pages: this.pages });
    this.prev.disabled = page <= 1;
    this.next.disabled = !hasNext;
    this.prev.parentElement.hidden = this.pages <= 1 && !hasNext;
  }
}
