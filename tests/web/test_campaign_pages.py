"""Campaign pages in Chromium, at a phone's and a desktop's size: the campaigns list
with its form, a campaign's dashboard (metrics, chart, link builder with a QR code),
an experiment's results."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.campaigns.models import Touch
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from tests.web.conftest import LiveServer, PageOpener, expect_image_loaded

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _campaign(server: LiveServer, merchant: User, name: str) -> dict[str, Any]:
    now = utcnow()
    campaign: dict[str, Any] = server.api(
        merchant,
        "POST",
        "/api/campaigns",
        {
            "name": name,
            "channels": ["douyin", "xiaohongshu"],
            "budget": 200_000,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
        },
        expect=201,
    )
    return campaign


def _attributed_order(
    server: LiveServer, buyer: User, product_id: int, sku_id: int, code: str
) -> None:
    tag = {"X-Attribution": code}
    server.api(buyer, "GET", f"/api/products/{product_id}", headers=tag)  # a touch
    _wait_for_touch(server, buyer)  # the touch buffer is written every 2 s
    order = server.api(
        buyer,
        "POST",
        "/api/orders",
        {"items": [{"sku_id": sku_id, "quantity": 1}]},
        expect=201,
        headers={"Idempotency-Key": f"order-{code}"},
    )
    paid = server.pay_by_card(buyer, order["id"], idempotency_key=f"pay-{code}")
    assert paid["status"] == "succeeded"


def _wait_for_touch(server: LiveServer, buyer: User, seconds: float = 30.0) -> None:
    """Until the buyer's touch is stored (written by a background buffer, later on a busy
    machine), so the order that follows is attributed to it."""
    deadline = time.monotonic() + seconds
    touched = select(func.count()).select_from(Touch).where(Touch.user_id == buyer.id)
    while time.monotonic() < deadline:
        with unit_of_work(server.database_url) as session:
            if session.scalar(touched):
                return
        time.sleep(0.1)
    raise AssertionError(f"the buyer's touch was not stored within {seconds} s")


def _clean(new_page: PageOpener, *pages: Page) -> None:
    for page in pages:
        assert new_page.dialogs[page] == []
        assert new_page.errors[page] == []


def test_campaign_dashboard_link_builder_and_experiment_results(
    server: LiveServer, new_page: PageOpener
) -> None:
    merchant = server.create_user(server.unique("campshop"), Role.MERCHANT)
    buyer = server.create_user(server.unique("campbuyer"))
    product = server.create_product(merchant, title="保温杯", price=8_800, stock=20)
    kol = server.create_user(server.unique("kolhost"), Role.HOST)
    campaign = _campaign(server, merchant, "<script>alert(1)</script> 冬季")
    link = server.api(
        merchant,
        "POST",
        f"/api/campaigns/{campaign['id']}/links",
        {"target": f"product:{product['id']}", "channel": "douyin", "kol": "小红"},
        expect=201,
    )
    spend = httpx.post(
        f"{server.base_url}/api/campaigns/{campaign['id']}/spend",
        content="日期,展示数,消耗\n2026-12-01,5000,120.50\n".encode(),
        headers={
            "Authorization": f"Bearer {server.tokens[merchant.id]}",
            "Content-Type": "text/csv",
        },
    )
    assert spend.status_code == 201, spend.text
    httpx.get(f"{server.base_url}/l/{link['code']}")
    _attributed_order(server, buyer, product["id"], product["skus"][0]["id"], link["code"])

    page = new_page(merchant, f"/campaigns/{campaign['id']}")
    page.set_viewport_size(DESKTOP)
    expect(page.locator("#campaign-name")).to_have_text("<script>alert(1)</script> 冬季")
    expect(page.locator("#kpi-orders")).to_have_text("1")
    expect(page.locator("#kpi-gmv")).to_have_text("88.00")
    expect(page.locator("#kpi-spend")).to_have_text("120.50")
    expect(page.locator("#chart-metrics svg.main-svg").first).to_be_visible()
    expect(page.locator("#metrics-table tbody tr")).to_have_count(1)
    expect(page.locator("#definitions")).to_contain_text("花费 ÷ 点击")
    page.select_option("#metrics-by", "kol")
    expect(page.locator("#metrics-table tbody tr").first).to_contain_text("小红")
    # the target and the KOL's account are picked by name, not typed as ids
    page.select_option("#target-kind", "product")
    page.fill("#target-search", "保温")
    expect(page.locator("#target-select option:checked")).to_have_text("保温杯")
    page.select_option("#link-form [name=channel]", "xiaohongshu")
    page.fill("#link-form [name=creative]", "笔记 A")
    page.fill("#kol-search", kol.username[:-1])
    expect(page.locator("#kol-select option:checked")).to_have_text(kol.username)
    page.click("#link-form button[type=submit]")
    expect(page.locator("#link-list .link-card")).to_have_count(2)
    newest = page.locator("#link-list .link-card").first
    expect(newest).to_contain_text(f"小红书 · 笔记 A · {kol.username} → 商品 保温杯")
    expect(newest.locator("img.qr")).to_be_visible()
    expect_image_loaded(newest.locator("img.qr"))
    made = server.api(merchant, "GET", f"/api/campaigns/{campaign['id']}/links")
    assert {(link["target"], link["kol_user_id"]) for link in made} == {
        (f"product:{product['id']}", None),
        (f"product:{product['id']}", kol.id),
    }
    assert "product:" not in page.locator("#link-list").inner_text()

    phone = new_page(merchant, "/campaigns")
    phone.set_viewport_size(PHONE)
    expect(phone.locator("#campaign-table tbody tr")).to_have_count(1)
    expect(phone.locator("#kol-table tbody tr").first).to_contain_text("小红")
    phone.fill("#campaign-form [name=name]", "春节")
    phone.check("#campaign-form input[value=weibo]")
    phone.fill("#campaign-form [name=budget]", "1000.50")
    phone.fill("#campaign-form [name=starts]", "2027-01-20")
    phone.fill("#campaign-form [name=ends]", "2027-02-10")
    phone.click("#campaign-form button[type=submit]")
    expect(phone.locator("#campaign-name")).to_have_text("春节")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width  # nothing wider than the phone

    experiment = server.api(
        merchant,
        "POST",
        "/api/experiments",
        {
            "name": "倒计时 10 秒 vs 30 秒",
            "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
        },
        expect=201,
    )
    for index in range(4):
        person = server.create_user(server.unique(f"exp{index}_"))
        server.api(person, "GET", f"/api/experiments/{experiment['id']}/assignment")
    results = new_page(merchant, f"/experiments/{experiment['id']}")
    results.set_viewport_size(PHONE)
    expect(results.locator("#variant-table tbody tr")).to_have_count(2)
    expect(results.locator("#chart-rates svg.main-svg").first).to_be_visible()
    expect(results.locator("#guidance")).to_contain_text("随时有效 p 值")
    _clean(new_page, page, phone, results)

    stranger = server.create_user(server.unique("campother"), Role.MERCHANT)
    cookies = {"liveshop_session": server.session_token(stranger)}
    hidden = httpx.get(f"{server.base_url}/campaigns/{campaign['id']}", cookies=cookies)
    assert hidden.status_code == 404


def test_a_viewer_shares_the_room_from_its_share_sheet(
    server: LiveServer, new_page: PageOpener
) -> None:
    host = server.create_user(server.unique("sharehost"), Role.HOST)
    viewer = server.create_user(server.unique("sharefan"))
    room_id = server.create_room(host, title="分享测试", start=True)

    page = new_page(viewer, f"/rooms/{room_id}")
    page.set_viewport_size(PHONE)
    page.click("#share-room")
    expect(page.locator("#share-sheet")).to_be_visible()
    expect(page.locator("#share-url")).to_have_value(
        re.compile(rf"^{re.escape(server.base_url)}/l/[a-z0-9]{{8}}$")
    )
    qr = page.locator("#share-qr")
    expect(qr).to_be_visible()
    expect_image_loaded(page.locator("#share-qr"))
    code = page.locator("#share-url").input_value().rsplit("/", 1)[1]
    followed = httpx.get(f"{server.base_url}/l/{code}", follow_redirects=False)
    assert followed.status_code == 302
    assert followed.headers["location"] == f"/rooms/{room_id}"
    _clean(new_page, page)


def test_a_viewer_shares_a_product_from_its_page_on_a_phone(
    server: LiveServer, new_page: PageOpener
) -> None:
    merchant = server.create_user(server.unique("shareshop"), Role.MERCHANT)
    viewer = server.create_user(server.unique("sharebuyer"))
    product = server.create_product(merchant, title="分享的围巾", price=9_900, stock=5)

    page = new_page(viewer, "/")
    page.set_viewport_size(PHONE)
    page.goto(f"/products/{product['id']}")
    page.click("#share-product")
    sheet = page.locator("#share-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("h2")).to_have_text("分享商品")
    expect(page.locator("#share-url")).to_have_value(
        re.compile(rf"^{re.escape(server.base_url)}/l/[a-z0-9]{{8}}$")
    )
    expect_image_loaded(page.locator("#share-qr"))
    assert (
        page.evaluate(
            "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
        )
        == 0
    )
    code = page.locator("#share-url").input_value().rsplit("/", 1)[1]
    same = server.api(
        viewer, "POST", "/api/share-links", {"target": f"product:{product['id']}"}, expect=201
    )
    assert same["code"] == code  # the room's link builder: one share link per viewer and target
    followed = httpx.get(f"{server.base_url}/l/{code}", follow_redirects=False)
    assert followed.status_code == 302
    assert followed.headers["location"] == f"/products/{product['id']}"
    sheet.locator("[data-close-sheet]").click()
    expect(sheet).to_be_hidden()
    _clean(new_page, page)
