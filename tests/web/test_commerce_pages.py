"""Buying in the browser: buy now from the pinned card, a flash-sale race, a coupon drop,
my orders, and shipping from the merchant console.

Set LIVESHOP_SCREENSHOT_DIR to keep screenshots of the room (flash banner, shelf open).
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.orders import service as orders

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

ADDRESS = {
    "recipient": "张三",
    "phone": "13800000000",
    "region": "浙江省 杭州市",
    "line": "文三路 1 号",
}


def _wait_connected(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LIVESHOP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(300)  # let sheets and banners finish their entry animation
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _iso(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _add_address(server: LiveServer, user: User) -> None:
    server.api(user, "POST", "/api/addresses", ADDRESS | {"is_default": True}, expect=201)


def _my_orders(server: LiveServer, user: User) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.api(user, "GET", "/api/orders?scope=mine")
    return found


def test_a_viewer_buys_the_pinned_product_in_one_click_and_sees_it_in_orders(
    server: LiveServer, new_page: NewPage
) -> None:
    _host, _merchant, coat, room_id = server.selling_room(
        title="羽绒服专场",
        product={
            "title": "羽绒服",
            "skus": [
                {"options": {"尺码": "M"}, "price": 29900, "stock": 5},
                {"options": {"尺码": "L"}, "price": 31900, "stock": 2},
            ],
        },
    )
    size_l = coat["skus"][1]["id"]
    buyer = server.create_user(server.unique("buyer"))
    page = new_page(buyer, f"/rooms/{room_id}")
    _wait_connected(page)
    card = page.locator("#pinned")
    expect(card.locator(".sku-chip")).to_have_text(["M", "L"])
    card.locator(".sku-chip", has_text="L").click()
    expect(card.locator("#pinned-price")).to_have_text("¥319.00")

    # No address yet: the first click asks for one, saving it completes the purchase.
    page.click("#buy-btn")
    expect(page.locator("#address-sheet")).to_be_visible()
    assert _my_orders(server, buyer) == []
    page.fill("#addr-recipient", ADDRESS["recipient"])
    page.fill("#addr-phone", ADDRESS["phone"])
    page.fill("#addr-region", ADDRESS["region"])
    page.fill("#addr-line", ADDRESS["line"])
    page.click("#addr-save")
    sheet = page.locator("#order-sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#address-sheet")).to_be_hidden()
    expect(sheet.locator("#order-sheet-status")).to_have_text("待支付")
    expect(sheet.locator("#order-sheet-expiry")).to_have_text(
        re.compile(r"^请在 \d\d-\d\d \d\d:\d\d 前支付$")
    )
    expect(sheet.locator(".breakdown-row .breakdown-label")).to_have_text(
        ["羽绒服 L × 1", "商品金额", "运费", "实付"]
    )
    expect(sheet.locator(".breakdown-total .breakdown-value")).to_have_text("¥319.00")

    [order] = _my_orders(server, buyer)
    assert (order["status"], order["total"], order["room_id"]) == (
        "pending_payment",
        31900,
        room_id,
    )
    assert [(item["sku_id"], item["quantity"]) for item in order["items"]] == [(size_l, 1)]
    # The order's copy of the address shows the phone masked, to the buyer too.
    assert order["address"] == ADDRESS | {"postal_code": "", "phone": "138****0000"}
    stock = server.api(buyer, "GET", f"/api/products/{coat['id']}")["skus"][1]["stock"]
    assert stock == 1

    page.goto("/orders")
    cards = page.locator("#order-list .order-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-order-id", str(order["id"]))
    expect(cards.first.locator(".order-status")).to_have_text("待支付")
    expect(cards.first.locator(".order-total")).to_have_text("¥319.00")
    # Cancelling takes two clicks, and gives the unit back.
    cards.first.locator(".cancel-btn").click()
    expect(cards.first.locator(".cancel-btn")).to_have_text("确认取消订单？")
    assert _my_orders(server, buyer)[0]["status"] == "pending_payment"
    cards.first.locator(".cancel-btn").click()
    expect(cards.first.locator(".order-status")).to_have_text("已取消")
    assert _my_orders(server, buyer)[0]["status"] == "cancelled"
    assert server.api(buyer, "GET", f"/api/products/{coat['id']}")["skus"][1]["stock"] == 2
    assert new_page.errors[page] == []


def test_two_browsers_race_for_the_last_flash_sale_unit(
    server: LiveServer, new_page: NewPage
) -> None:
    host, _merchant, coat, room_id = server.selling_room(
        title="秒杀专场", product={"title": "羽绒服", "price": 29900, "stock": 10}
    )
    scarf = server.create_product(_merchant, title="羊毛围巾", price=5990, stock=0)
    server.api(
        host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": [coat["id"], scarf["id"]]}
    )
    alice = server.create_user(server.unique("alice"))
    bob = server.create_user(server.unique("bob"))
    _add_address(server, alice)
    _add_address(server, bob)
    pages = [new_page(alice, f"/rooms/{room_id}"), new_page(bob, f"/rooms/{room_id}")]
    watcher = new_page(None, f"/rooms/{room_id}")
    watcher.set_viewport_size({"width": 390, "height": 844})  # a phone
    for page in [*pages, watcher]:
        _wait_connected(page)

    sale = server.api(
        host,
        "POST",
        "/api/flash-sales",
        {
            "room_id": room_id,
            "sku_id": coat["skus"][0]["id"],
            "price": 9900,
            "quantity": 1,
            "per_user_limit": 1,
            "starts_at": _iso(2.5),
            "ends_at": _iso(600),
        },
        expect=201,
    )
    banner = watcher.locator("#flash-banner")
    expect(banner).to_have_attribute("data-phase", "upcoming", timeout=1500)
    expect(banner.locator("#flash-title")).to_have_text("羽绒服")
    expect(banner.locator("#flash-price")).to_have_text("¥99.00")
    expect(banner.locator("#flash-reference")).to_have_text("¥299.00")
    expect(banner.locator("#flash-countdown")).to_have_text(re.compile(r"^0:0[1-3]$"))
    expect(pages[0].locator("#flash-buy-btn")).to_be_disabled()
    _screenshot(watcher, "room-flash-countdown")
    watcher.click("#shelf-btn")
    expect(watcher.locator("#shelf-list .shelf-title")).to_have_text(["讲解中羽绒服", "羊毛围巾"])
    expect(watcher.locator("#shelf-list .shelf-buy")).to_have_text(["购买", "已售罄"])
    _screenshot(watcher, "room-shelf-open")
    watcher.click("#shelf-sheet .sheet-close")

    for page in pages:
        expect(page.locator("#flash-buy-btn")).to_have_text("抢购", timeout=5000)
        expect(page.locator("#flash-buy-btn")).to_be_enabled()
    expect(watcher.locator("#flash-remaining")).to_have_text("1")
    _screenshot(watcher, "room-flash-on-sale")
    # Both click as close together as two pages can.
    for page in pages:
        page.evaluate("document.getElementById('flash-buy-btn').click()")

    for page in pages:
        expect(page.locator("#flash-buy-btn")).to_have_text(re.compile("^(已抢到|已抢光)$"))
    outcomes = [page.locator("#flash-buy-btn").text_content() for page in pages]
    assert sorted(outcomes) == ["已抢光", "已抢到"]  # type: ignore[type-var]
    winner_page = pages[outcomes.index("已抢到")]
    loser_page = pages[outcomes.index("已抢光")]
    winner, loser = (alice, bob) if winner_page is pages[0] else (bob, alice)
    expect(winner_page.locator("#order-sheet")).to_be_visible()
    expect(winner_page.locator("#order-sheet-status")).to_have_text("待支付")
    expect(winner_page.locator(".breakdown-total .breakdown-value")).to_have_text("¥99.00")
    expect(loser_page.locator("#order-sheet")).to_be_hidden()
    expect(loser_page.locator("#toast")).to_have_text("已抢光")
    for page in [*pages, watcher]:
        expect(page.locator("#flash-remaining")).to_have_text("0", timeout=1500)
        expect(page.locator("#flash-banner")).to_have_attribute("data-phase", "sold_out")
    _screenshot(watcher, "room-flash-sold-out")
    _screenshot(loser_page, "room-flash-sold-out-desktop")
    _screenshot(winner_page, "room-flash-order-sheet")

    [order] = _my_orders(server, winner)
    assert (order["flash_sale_id"], order["total"], order["status"]) == (
        sale["id"],
        9900,
        "pending_payment",
    )
    assert _my_orders(server, loser) == []
    admissions = server.api(host, "GET", f"/api/flash-sales/{sale['id']}/admissions")
    assert [(entry["user_id"], entry["order_id"]) for entry in admissions] == [
        (winner.id, order["id"])
    ]
    assert all(new_page.errors[page] == [] for page in [*pages, watcher])


def test_a_coupon_drop_grabbed_in_the_room_lowers_the_buy_now_total(
    server: LiveServer, new_page: NewPage
) -> None:
    host, _merchant, _coat, room_id = server.selling_room(
        title="领券专场", product={"title": "羽绒服", "price": 29900, "stock": 10}
    )
    viewer = server.create_user(server.unique("viewer"))
    _add_address(server, viewer)
    console = new_page(host, f"/host/rooms/{room_id}")
    page = new_page(viewer, f"/rooms/{room_id}")
    _wait_connected(console)
    _wait_connected(page)
    expect(page.locator("#perks")).to_be_hidden()

    console.fill("#coupon-name", "直播间立减券")
    console.select_option("#coupon-kind", "fixed")
    console.fill("#coupon-amount", "30")
    console.fill("#coupon-total", "2")
    console.click("#coupon-create")
    drop = page.locator("#coupon-drops .coupon-drop")
    expect(drop).to_have_count(1, timeout=1500)
    expect(drop.locator(".coupon-name")).to_have_text("直播间立减券")
    expect(drop.locator(".coupon-terms")).to_have_text("立减¥30.00")
    expect(drop.locator(".coupon-left")).to_have_text("2")
    expect(page.locator("#chat-list .kind-announcement .text")).to_have_text(
        ["优惠券来了: 直播间立减券"]
    )

    drop.locator(".coupon-grab").click()
    expect(drop.locator(".coupon-grab")).to_have_text("已领取")
    expect(drop.locator(".coupon-grab")).to_be_disabled()
    expect(drop.locator(".coupon-left")).to_have_text("1", timeout=1500)
    expect(console.locator("#host-coupon-list .coupon-remaining")).to_have_text(
        "已领 1/2", timeout=1500
    )

    wallet_page = page.context.new_page()
    wallet_page.goto("/orders")
    held = wallet_page.locator("#wallet .wallet-coupon")
    expect(held).to_have_count(1)
    expect(held.locator(".coupon-name")).to_have_text("直播间立减券")
    expect(held.locator(".wallet-state")).to_have_text("可使用")

    page.click("#buy-btn")
    sheet = page.locator("#order-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".breakdown-discount")).to_have_text("直播间立减券-¥30.00")
    expect(sheet.locator(".breakdown-total .breakdown-value")).to_have_text("¥269.00")
    [order] = _my_orders(server, viewer)
    assert (order["items_total"], order["discount_total"], order["total"]) == (29900, 3000, 26900)

    wallet_page.reload()
    expect(held.locator(".wallet-state")).to_have_text(f"已用于订单 {order['id']}")
    expect(wallet_page.locator("#order-list .order-total")).to_have_text(["¥269.00"])
    expect(wallet_page.locator("#order-list .order-discount")).to_have_text(["已优惠 ¥30.00 · "])
    # The host sees the room's order.
    expect(console.locator("#room-orders tbody tr")).to_have_count(1, timeout=6000)
    expect(console.locator("#room-orders-sum")).to_have_text("¥269.00")
    _screenshot(console, "host-console")
    _screenshot(wallet_page, "my-orders")
    assert new_page.errors[page] == new_page.errors[console] == []


def test_the_merchant_ships_an_order_from_the_merchant_console(
    server: LiveServer, new_page: NewPage
) -> None:
    merchant = server.create_user(server.unique("merchant"), Role.MERCHANT)
    buyer = server.create_user(server.unique("buyer"))
    _add_address(server, buyer)
    console = new_page(merchant, "/merchant")
    expect(console.locator("#shop-line")).to_have_text("发布第一个商品后自动开店")
    console.fill("#product-title", "羊毛围巾")
    console.fill("#product-price", "59.9")
    console.fill("#product-stock", "8")
    console.click("#product-create")
    expect(console.locator("#shop-id-label")).to_be_visible()  # the first product opened the shop
    row = console.locator("#product-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".product-name")).to_have_text("羊毛围巾")
    expect(row.locator(".sku-price")).to_have_value("59.90")
    product_id = int(row.get_attribute("data-product-id") or 0)
    row.locator(".sku-stock").fill("20")
    row.locator(".sku-save").click()
    expect(console.locator("#toast")).to_have_text("已保存")
    sku = server.api(merchant, "GET", f"/api/products/{product_id}")["skus"][0]
    assert (sku["price"], sku["stock"]) == (5990, 20)

    def place() -> dict[str, Any]:
        body = {"items": [{"sku_id": sku["id"], "quantity": 2}]}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        placed: dict[str, Any] = server.api(
            buyer, "POST", "/api/orders", body, expect=201, headers=key
        )
        return placed

    paid, unpaid = place(), place()
    with unit_of_work(server.database_url) as session:  # payments come in a later issue
        orders.mark_paid(session, order_id=paid["id"], payment_ref="test-payment")
    console.reload()
    cards = console.locator("#ship-list .order-card")
    expect(cards).to_have_count(1)  # only the paid order waits for shipping
    expect(cards.first).to_have_attribute("data-order-id", str(paid["id"]))
    expect(cards.first.locator(".order-address")).to_have_text(
        "张三 138****0000 浙江省 杭州市 文三路 1 号"
    )
    expect(cards.first.locator(".order-total")).to_have_text("¥119.80")
    cards.first.locator(".tracking-input").fill("SF1234567890")
    _screenshot(console, "merchant-console")
    cards.first.locator(".ship-btn").click()
    expect(console.locator("#ship-empty")).to_be_visible()
    shipped_row = console.locator(f'#shop-orders tr[data-order-id="{paid["id"]}"]')
    expect(shipped_row.locator(".order-state")).to_have_text("已发货")
    expect(shipped_row.locator(".order-tracking")).to_have_text("SF1234567890")
    shipped = server.api(buyer, "GET", f"/api/orders/{paid['id']}")
    assert (shipped["status"], shipped["tracking_number"]) == ("shipped", "SF1234567890")
    assert server.api(buyer, "GET", f"/api/orders/{unpaid['id']}")["status"] == "pending_payment"

    # The buyer sees the tracking number and confirms delivery.
    mine = new_page(buyer, "/orders")
    card = mine.locator(f'#order-list .order-card[data-order-id="{paid["id"]}"]')
    expect(card.locator(".order-tracking")).to_contain_text("运单号 SF1234567890")
    expect(card.locator(".order-tracking .track-link")).to_have_attribute(
        "href", f"/orders/{paid['id']}/tracking"
    )
    expect(card.locator(".order-status")).to_have_text("已发货")
    card.locator(".confirm-btn").click()
    expect(card.locator(".order-status")).to_have_text("已签收")
    assert server.api(buyer, "GET", f"/api/orders/{paid['id']}")["status"] == "delivered"
    assert new_page.errors[console] == new_page.errors[mine] == []


def test_a_lucky_draw_shows_missing_tasks_then_the_winner_and_its_proof(
    server: LiveServer, new_page: NewPage
) -> None:
    host, _merchant, coat, room_id = server.selling_room(
        title="福袋专场", product={"title": "羽绒服", "price": 29900, "stock": 10}
    )
    viewer = server.create_user(server.unique("viewer"))
    page = new_page(viewer, f"/rooms/{room_id}")
    _wait_connected(page)
    draw = server.api(
        host,
        "POST",
        "/api/draws",
        {
            "room_id": room_id,
            "title": "福袋：羽绒服 1 件",
            "prize_sku_id": coat["skus"][0]["id"],
            "winners_count": 1,
            "tasks": {"comment_keyword": "想要"},
            "deadline": _iso(8),
        },
        expect=201,
    )
    card = page.locator(f'#draw-cards .draw-card[data-draw-id="{draw["id"]}"]')
    expect(card.locator(".draw-title")).to_have_text("福袋：羽绒服 1 件", timeout=1500)
    expect(card.locator(".draw-hash")).to_have_text(draw["commitment"])
    expect(card.locator(".draw-meta")).to_have_text("1 个名额 · 参与条件：评论「想要」")

    card.locator(".draw-enter").click()
    expect(card.locator(".draw-missing li")).to_have_text(["在评论区发送「想要」"])
    page.fill("#chat-input", "想要想要")
    page.press("#chat-input", "Enter")
    expect(page.locator("#chat-list .chat-line .text", has_text="想要想要")).to_have_count(1)
    card.locator(".draw-enter").click()
    expect(card.locator(".draw-enter")).to_have_text("已参与")
    expect(card.locator(".draw-missing")).to_have_count(0)

    # Past the deadline the card waits for the draw: the host's, or the server's draw
    # job's if that comes first (the host's call then returns the drawn draw).
    expect(card.locator(".draw-countdown")).to_have_text(
        re.compile("等待开奖|已开奖"), timeout=10000
    )
    server.api(host, "POST", f"/api/draws/{draw['id']}/draw")
    expect(card.locator(".draw-result")).to_have_text(
        "恭喜你中奖了！请在「我的订单」领取奖品", timeout=1500
    )
    expect(card.locator(".draw-verify")).to_have_attribute(
        "href", f"/api/draws/{draw['id']}/verification"
    )
    verification = server.api(viewer, "GET", f"/api/draws/{draw['id']}/verification")
    assert verification["published_winners"] == [viewer.id]
    assert verification["commitment_matches"] is True
    assert new_page.errors[page] == []
