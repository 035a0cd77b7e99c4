"""An experiment's page names what its variants change (a coupon's depth and countdown,
a shelf's lead), in the page's language, at phone and desktop sizes; the shop's merchant
changes the coupon's depths and countdowns or detaches them there until a viewer is
shown a variant, and after that the page says the settings are fixed and offers no
change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {
        "coupon": "优惠券「直播间立减券」（#{id}）的面额",
        "shelf": "直播间「冬装专场」（#{id}）购物袋的首位商品",
        "countdown": "优惠券「直播间立减券」（#{id}）的领券倒计时",
        "seconds": "a：90 秒",
        "depth": "a：减 ¥5.00",
        "changed": "a：减 ¥3.00",
        "fixed": "不能再更改或解除",
    },
    "en": {
        "coupon": "Coupon “直播间立减券” (#{id}): its depth",
        "shelf": "Room “冬装专场” (#{id}): the first product on its shelf",
        "countdown": "Coupon “直播间立减券” (#{id}): its time to grab",
        "seconds": "a: 90 seconds",
        "depth": "a: CN¥5.00 off",
        "changed": "a: CN¥3.00 off",
        "fixed": "can no longer be changed or detached",
    },
}


def _tested(server: LiveServer) -> tuple[Any, Any, dict[str, Any], int]:
    host, merchant, coat, room_id = server.selling_room(
        title="冬装专场", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    coupon = server.room_coupon_drop(host, room_id, name="直播间立减券", code="MECH")
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant, "POST", "/api/experiments", {"name": "券深度", "variants": variants}, expect=201
    )
    depths = {"experiment_id": experiment["id"], "depths": {"a": 500, "b": 1_000}}
    server.api(merchant, "PUT", f"/api/coupons/{coupon['id']}/experiment", depths)
    seconds = {"experiment_id": experiment["id"], "seconds": {"a": 60, "b": 300}}
    server.api(merchant, "PUT", f"/api/coupons/{coupon['id']}/countdown-experiment", seconds)
    leads = {"experiment_id": experiment["id"], "leads": {"a": coat["id"], "b": coat["id"]}}
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf-experiment", leads)
    return merchant, coupon, experiment, room_id


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_page_names_the_mechanics_and_changes_a_depth_until_exposed(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    words = WORDS[locale]
    merchant, coupon, experiment, room_id = _tested(server)
    page = open_page(merchant, f"/experiments/{experiment['id']}", locale=locale, size=size)
    coupon_item = page.locator(
        f'.mechanic[data-kind="coupon_depth"][data-target="coupon:{coupon["id"]}"]'
    )
    expect(coupon_item.locator(".mechanic-what")).to_have_text(
        words["coupon"].format(id=coupon["id"])
    )
    expect(coupon_item.locator('.mechanic-values [data-variant="a"]')).to_have_text(words["depth"])
    shelf_item = page.locator(f'.mechanic[data-target="room:{room_id}"]')
    expect(shelf_item.locator(".mechanic-what")).to_have_text(words["shelf"].format(id=room_id))
    expect(shelf_item.locator('.mechanic-values [data-variant="a"]')).to_have_text(
        "a：羽绒服" if locale == "zh-CN" else "a: 羽绒服"
    )

    countdown_item = page.locator('.mechanic[data-kind="coupon_countdown"]')
    expect(countdown_item.locator(".mechanic-what")).to_have_text(
        words["countdown"].format(id=coupon["id"])
    )
    countdown_item.locator('input[name="a"]').fill("90")
    countdown_item.locator(".mechanic-save").click()
    expect(countdown_item.locator('.mechanic-values [data-variant="a"]')).to_have_text(
        words["seconds"]
    )
    coupon_item.locator('input[name="a"]').fill("3")
    coupon_item.locator(".mechanic-save").click()
    expect(coupon_item.locator('.mechanic-values [data-variant="a"]')).to_have_text(
        words["changed"]
    )
    held = server.api(merchant, "GET", f"/api/coupons/{coupon['id']}/experiment")
    assert held["depths"] == {"a": 300, "b": 1_000}
    coupon_item.locator(".mechanic-detach").click()
    expect(page.locator(".mechanic")).to_have_count(2)  # the countdown and the shelf
    server.api(merchant, "GET", f"/api/coupons/{coupon['id']}/experiment", expect=404)

    viewer = server.create_user(server.unique("shelfviewer"))
    server.api(viewer, "GET", f"/api/rooms/{room_id}/shelf")  # the exposure
    page.reload()
    expect(page.locator("#mechanics-fixed")).to_contain_text(words["fixed"])
    expect(page.locator(".mechanic-form")).to_have_count(0)
    expect(page.locator("#mechanics")).to_be_visible()
    box = page.locator("#mechanics").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= page.viewport_size["width"] + 1  # type: ignore[index]


LANDING_WORDS = {
    "zh-CN": {
        "what": "推广链接 {code}（落地页测试 · douyin）点击后的落地页和素材",
        "a": "a：商品「羽绒服」 · 素材 海报A",
        "b": "b：直播间「冬装专场」 · 素材 海报B",
    },
    "en": {
        "what": "Tracking link {code} (落地页测试 · douyin): landing page and creative",
        "a": "a: product “羽绒服” · creative 海报A",
        "b": "b: room “冬装专场” · creative 海报B",
    },
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_page_names_a_links_landing_test_and_detaches_it(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    words = LANDING_WORDS[locale]
    _host, merchant, coat, room_id = server.selling_room(
        title="冬装专场", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    now = datetime.now(UTC)
    campaign = server.api(
        merchant,
        "POST",
        "/api/campaigns",
        {
            "name": "落地页测试",
            "channels": ["douyin"],
            "budget": 100_000,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(),
        },
        expect=201,
    )
    link = server.api(
        merchant,
        "POST",
        f"/api/campaigns/{campaign['id']}/links",
        {"target": f"product:{coat['id']}", "channel": "douyin"},
        expect=201,
    )
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant, "POST", "/api/experiments", {"name": "落地页", "variants": variants}, expect=201
    )
    landings = {
        "a": {"target": f"product:{coat['id']}", "creative": "海报A"},
        "b": {"target": f"room:{room_id}", "creative": "海报B"},
    }
    body = {"experiment_id": experiment["id"], "landings": landings}
    server.api(merchant, "PUT", f"/api/links/{link['code']}/experiment", body)

    page = open_page(merchant, f"/experiments/{experiment['id']}", locale=locale, size=size)
    item = page.locator('.mechanic[data-kind="landing"]')
    expect(item.locator(".mechanic-what")).to_have_text(words["what"].format(code=link["code"]))
    expect(item.locator('[data-variant="a"]')).to_have_text(words["a"])
    expect(item.locator('[data-variant="b"]')).to_have_text(words["b"])
    expect(page.locator("#mechanics")).to_be_visible()
    box = page.locator("#mechanics").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= page.viewport_size["width"] + 1  # type: ignore[index]

    item.locator(".mechanic-detach").click()
    expect(page.locator("#no-mechanics")).to_be_visible()
    server.api(merchant, "GET", f"/api/links/{link['code']}/experiment", expect=404)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_merchant_attaches_a_coupons_countdown_and_depth_from_the_page(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    words = WORDS[locale]
    merchant, coupon, _experiment, _room_id = _tested(server)
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant, "POST", "/api/experiments", {"name": "新实验", "variants": variants}, expect=201
    )
    server.api(merchant, "DELETE", f"/api/coupons/{coupon['id']}/experiment", expect=204)
    server.api(merchant, "DELETE", f"/api/coupons/{coupon['id']}/countdown-experiment", expect=204)

    page = open_page(merchant, f"/experiments/{experiment['id']}", locale=locale, size=size)
    form = page.locator("#attach-coupon")
    form.locator("select[name=kind]").select_option("coupon_countdown")
    picked = form.locator(f'select[name=coupon] option[value="{coupon["id"]}"]')
    expect(picked).to_have_text(coupon["name"])  # picked by its name, not typed by number
    form.locator("select[name=coupon]").select_option(str(coupon["id"]))
    form.locator('input[data-variant="a"]').fill("90")
    form.locator('input[data-variant="b"]').fill("300")
    form.locator("button[type=submit]").click()
    countdown = page.locator('.mechanic[data-kind="coupon_countdown"]')
    expect(countdown.locator('[data-variant="a"]')).to_have_text(words["seconds"])

    form = page.locator("#attach-coupon")
    form.locator("select[name=kind]").select_option("coupon_depth")
    form.locator("select[name=coupon]").select_option(str(coupon["id"]))
    form.locator('input[data-variant="a"]').fill("5")
    form.locator('input[data-variant="b"]').fill("10")
    form.locator("button[type=submit]").click()
    depth = page.locator('.mechanic[data-kind="coupon_depth"]')
    expect(depth.locator('[data-variant="a"]')).to_have_text(words["depth"])
    held = server.api(merchant, "GET", f"/api/coupons/{coupon['id']}/experiment")
    assert (held["experiment_id"], held["depths"]) == (experiment["id"], {"a": 500, "b": 1_000})
    box = page.locator("#attach-coupon").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= page.viewport_size["width"] + 1  # type: ignore[index]
