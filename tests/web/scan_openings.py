"""How the page scan (tests/web/test_page_scan.py) reads a page: what it waits for on the
live pages before reading them, and what it opens on a page before reading it again:
every sheet and dialog a person opens with a tap (issue 18), found in the templates and
static/*.js: the room's shopping bag, gifts, share, report (the room, a comment), the
address form, the order sheet and its payment steps (a new card, the card issuer's step-up
with a wrong code, paid) and a red packet grabbed; the product's share sheet and the added-
to-cart notice; the cart's and the orders' pay sheets, an order's after-sales form and its
cancel asking to confirm; the wallet's top-up sheet; the authenticator app's enrolment on
the security page; a claimed report's decision form in the moderation queue.

Each opening taps what a person would tap and waits until what it opens is shown; the next
starts where the last one's ``close`` left the page (an opening whose ``close`` is None
leaves it as it is: for the next, a flow of steps, or for the next visit). The world
(tests/web/scan_world.py) has what they need: the viewer's address, saved card and passkey,
a comment by someone else, a pending order, two red packets and two coupons in the room (one
of each grabbed in each language's run)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.web.visits import Opening, Ready, sheet_shown

# The card issuer asks this sandbox card's holder for a code (payments/gateway.py).
STEP_UP_CARD = "4000002760003184"

# A call as the page's own scripts make it: the session cookie and the CSRF header.
IN_PAGE_CALL = """async ([method, path, body]) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": token };
  const response = await fetch(path, { method, headers, body: JSON.stringify(body) });
  return response.status;
}"""


def room_ready(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#chat-list .chat-line.kind-gift")).to_have_count(1)  # and notices


def host_console_ready(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#chat-list .chat-line.kind-gift")).to_have_count(1)
    expect(page.locator("#room-orders tbody tr").first).to_be_visible()


def regulator_ready(page: Page) -> None:
    expect(page.locator("#chain-status")).to_have_attribute("data-ok", "true")


def _tapped(selector: str, sheet: str, *, filled: str | None = None) -> Ready:
    """Taps ``selector`` and waits for ``sheet`` to rise, and what fills it (``filled``)."""

    def show(page: Page) -> None:
        page.locator(selector).first.click()
        sheet_shown(page, sheet)
        if filled is not None:
            expect(page.locator(filled).first).to_be_visible()

    return show


def _bag_searched_for_nothing(page: Page) -> None:
    page.locator("#shelf-btn").click()
    sheet_shown(page, "#shelf-sheet")
    page.locator("#shelf-search").fill("zzzz")
    expect(page.locator("#shelf-search-empty")).to_be_visible()


def _a_comment_reported(page: Page) -> None:
    """A tap on someone else's comment offers to report it (static/room_report.js)."""
    others = page.locator(
        f"#chat-list .chat-line.kind-comment:not([data-user-id='{_viewer_id(page)}'])"
    )
    others.first.locator(".text").click()
    sheet_shown(page, "#report-sheet")
    expect(page.locator("#report-subject")).not_to_be_empty()


def _viewer_id(page: Page) -> str:
    return str(page.locator("#room").get_attribute("data-user-id"))


def _no_address_yet(page: Page) -> None:
    """The address form, as a buyer without an address sees it when they tap 立即购买: the
    page is told the viewer has none (they have one, for the order sheet after it)."""

    def none_kept(route: Route) -> None:
        if route.request.method == "GET":
            route.fulfill(json=[])
        else:
            route.continue_()

    page.route("**/api/addresses", none_kept)
    page.locator("#buy-btn").click()
    sheet_shown(page, "#address-sheet")


def _address_closed(page: Page) -> None:
    page.unroute("**/api/addresses")
    page.keyboard.press("Escape")
    expect(page.locator(".sheet:not([hidden])")).to_have_count(0)


def _bought(page: Page) -> None:
    """立即购买: the order is placed and the order sheet offers the saved card."""
    page.locator("#buy-btn").click()
    sheet_shown(page, "#order-sheet")
    expect(page.locator("#pay-methods .method-card input")).to_be_checked()
    expect(page.locator("#pay-submit")).to_be_enabled()


def _new_card(page: Page) -> None:
    page.locator("#pay-add-card-toggle").click()
    expect(page.locator("#pay-card-form")).to_be_visible()


def _stepped_up(page: Page) -> None:
    """Paid with a card whose issuer asks for a code: the challenge step."""
    page.locator("#pay-card-number").fill(STEP_UP_CARD)
    page.locator("#pay-card-expiry").fill("12/34")
    page.locator("#pay-card-cvc").fill("123")
    page.locator("#pay-card-save").click()
    expect(page.locator("#pay-card-form")).to_be_hidden()
    page.locator("#pay-submit").click()
    expect(page.locator("#pay-challenge")).to_be_visible()
    expect(page.locator("#pay-sandbox-code")).not_to_be_empty()
    expect(page.locator("#pay-passkey-box")).to_be_visible()  # the viewer has a passkey


def _wrong_code(page: Page) -> None:
    code = page.locator("#pay-sandbox-code").inner_text()
    page.locator("#pay-code").fill("000000" if code != "000000" else "111111")
    page.locator("#pay-code-submit").click()
    expect(page.locator("#pay-code-error")).to_be_visible()


def _paid(page: Page) -> None:
    page.locator("#pay-code").fill(page.locator("#pay-sandbox-code").inner_text())
    page.locator("#pay-code-submit").click()
    expect(page.locator("#pay-result-text")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#order-sheet-title")).not_to_have_text("")


def _coupon_grabbed(page: Page) -> None:
    page.locator("#coupon-drops .coupon-grab:enabled").first.click()
    expect(page.locator("#toast")).to_be_visible()


def _bid(page: Page) -> None:
    """出价 at the least the auction takes (the fan's higher maximum outbids it)."""
    page.locator("#auction-card .auction-bid-btn").click()
    expect(page.locator("#toast")).to_be_visible()


def _red_packet_grabbed(page: Page) -> None:
    page.locator("#red-packets .red-packet-grab").click()
    expect(page.locator("#red-packets .red-packet-result")).to_be_visible()


ROOM = (
    Opening("shopping bag", _tapped("#shelf-btn", "#shelf-sheet", filled=".shelf-skus .sku-chip")),
    Opening("nothing found in the bag", _bag_searched_for_nothing),
    Opening("gifts", _tapped("#gift-btn", "#gift-sheet", filled="#gift-grid li")),
    Opening("share", _tapped("#share-room", "#share-sheet", filled="#share-qr[src]")),
    Opening("report the room", _tapped("#report-room", "#report-sheet", filled=".report-reason")),
    Opening("report a comment", _a_comment_reported),
    Opening("address", _no_address_yet, _address_closed),
    Opening("order sheet", _bought, None),
    Opening("a new card", _new_card, None),
    Opening("step-up", _stepped_up, None),
    Opening("a wrong code", _wrong_code, None),
    Opening("paid", _paid),
    Opening("a coupon grabbed", _coupon_grabbed, None),
    Opening("a bid", _bid, None),
    Opening("red packet grabbed", _red_packet_grabbed, None),
)


def _added_to_cart(page: Page) -> None:
    page.locator(".cart-add").first.click()
    expect(page.locator("#toast")).to_be_visible()


PRODUCT = (
    Opening("share", _tapped("#share-product", "#share-sheet", filled="#share-qr[src]")),
    Opening("added to the cart", _added_to_cart, None),
)


def _in_page_call(page: Page, method: str, path: str, body: Any) -> int:
    status: int = page.evaluate(IN_PAGE_CALL, [method, path, body])
    return status


def cart_openings(sku_id: int) -> tuple[Opening, ...]:
    """結算 places the cart's order and opens its pay sheet; closing it puts the SKU back in
    the cart (the other language's run reads the cart filled too)."""

    def refilled(page: Page) -> None:
        page.keyboard.press("Escape")
        assert _in_page_call(page, "POST", "/api/cart/items", {"sku_id": sku_id}) < 300

    checkout = _tapped("#cart-checkout", "#pay-sheet", filled="#pay-methods li")
    return (Opening("checkout", checkout, refilled),)


def _after_sale_form(page: Page) -> None:
    page.locator(".refund-btn").first.click()
    expect(page.locator(".as-form").first).to_be_visible()


def _after_sale_form_closed(page: Page) -> None:
    page.locator(".refund-btn").first.click()
    expect(page.locator(".as-form").first).to_be_hidden()


def _cancel_armed(page: Page) -> None:
    page.locator(".cancel-btn").first.click()
    expect(page.locator(".cancel-btn.is-armed")).to_be_visible()


ORDERS = (
    Opening("pay", _tapped(".pay-btn", "#pay-sheet", filled="#pay-methods li")),
    Opening("after-sales form", _after_sale_form, _after_sale_form_closed),
    Opening("cancel asks to confirm", _cancel_armed, None),
)


def _top_up(kind: str) -> Ready:
    """A top-up of coins or of the wallet balance: its first preset, paid in the pay sheet."""

    def show(page: Page) -> None:
        page.locator(f"label:has(#topup-kind-{kind})").click()  # the tab; its radio is hidden
        expect(page.locator(f"#topup-kind-{kind}")).to_be_checked()
        page.locator("#topup-presets button").first.click()
        page.locator("#topup-submit").click()
        sheet_shown(page, "#pay-sheet")
        expect(page.locator("#pay-methods li").first).to_be_visible()

    return show


WALLET = (Opening("buy coins", _top_up("coins")), Opening("top up", _top_up("wallet")))


def _authenticator_enrolment(page: Page) -> None:
    page.locator("#totp-start").click()
    expect(page.locator("#totp-qr img")).to_be_visible()


SECURITY = (Opening("authenticator app", _authenticator_enrolment, None),)


def _decision_form(page: Page) -> None:
    """认领: the report is the moderator's, with its decision form (claimed in the first
    language's run, the second finds it theirs already)."""
    claim = page.locator(".claim-btn")
    if claim.count():
        claim.first.click()
    expect(page.locator("#queue form").first).to_be_visible()


MODERATION = (Opening("a claimed report", _decision_form, None),)


def _disclosures_opened(page: Page) -> None:
    """Each <details> on the page opened by a tap on its summary."""
    closed = page.locator("details:not([open]) > summary")
    expect(closed.first).to_be_visible()
    for _ in range(closed.count()):
        closed.first.click()
    expect(closed).to_have_count(0)


DISCLOSURES = (Opening("disclosures", _disclosures_opened, None),)


def _submitted(
    fields: dict[str, str], submit: str, shown: str, *, tick: str | None = None
) -> Ready:
    """A form filled and sent: what the page says back (``shown``), a refusal's words too."""

    def show(page: Page) -> None:
        for selector, value in fields.items():
            page.locator(selector).fill(value)
        if tick is not None:
            page.locator(tick).check()
        page.locator(submit).click()
        expect(page.locator(shown)).to_be_visible()

    return show


LOGIN = (
    Opening(
        "a wrong password",
        _submitted(
            {"#username": "nobody", "#password": "not the password"}, "#submit-btn", "#form-error"
        ),
        None,
    ),
)
FORGOT_PASSWORD = (
    Opening(
        "link sent",
        _submitted({"#reset-email": "nobody@example.com"}, "#reset-ask-btn", "#reset-sent"),
        None,
    ),
)
RESET_PASSWORD = (
    Opening(
        "a link not valid",
        _submitted({"#new-password": "a new long password"}, "#reset-btn", "#reset-error"),
        None,
    ),
)
PRIVACY = (
    Opening(
        "erasing with a wrong password",
        _submitted(
            {"#erase-password": "not the password"},
            "#erase-submit",
            "#erase-error",
            tick="#erase-understood",
        ),
        None,
    ),
)


def _unsubscribed(page: Page) -> None:
    page.locator("#unsubscribe-confirm").click()
    expect(page.locator("#unsubscribe-done, #unsubscribe-error")).to_be_visible()


UNSUBSCRIBE = (Opening("unsubscribed", _unsubscribed, None),)


def _stream_key(page: Page) -> None:
    """生成推流密钥, then 显示: the new key, and the notice that the old one is void."""
    page.locator("#stream-key-new").click()
    expect(page.locator("#toast")).to_be_visible()
    if page.locator("#stream-key-reveal").is_enabled():
        page.locator("#stream-key-reveal").click()


def _shop_products(page: Page) -> None:
    """加载店铺商品: the shop's products, each with what the host can do with it."""
    expect(page.locator("#shop-id option:not([value=''])").first).to_be_attached()
    if not page.locator("#shop-id").input_value():
        page.locator("#shop-id").select_option(index=1)
    page.locator("#shop-load").click()
    expect(page.locator("#shop-products li").first).to_be_visible()


def _end_asks_to_confirm(page: Page) -> None:
    """下播 asks in the browser's own dialog (the scan reads and dismisses it)."""
    with page.expect_event("dialog"):
        page.locator("#end-btn").click()
    expect(page.locator("#end-btn")).to_be_enabled()  # dismissed: the room is still live


HOST_CONSOLE = (
    Opening("ending asks to confirm", _end_asks_to_confirm, None),
    Opening("a new stream key", _stream_key, None),
    Opening("the shop's products", _shop_products, None),
)


def _faq_entry_added(page: Page) -> None:
    page.locator("#faq-add").click()
    expect(page.locator(".faq-entry").last.locator(".faq-question")).to_have_value("")


FAQ = (Opening("a new entry", _faq_entry_added, None),)
