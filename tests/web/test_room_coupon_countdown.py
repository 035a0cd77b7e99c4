"""A coupon drop whose countdown is A/B tested, as the viewer meets it in the room, at
phone and desktop sizes: the card shows the viewer's own time to grab it (asked when the
card is first shown: their exposure), counting down; inside it they grab it, and once
it has run out the card says so and the server refuses the grab."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"clock": r"^\d:\d\d 后截止领取$", "over": "领券时间已到", "expired": "已过期"},
    "en": {"clock": r"^Grab within \d:\d\d$", "over": "Time to grab is up", "expired": "Expired"},
}


def _counting_down(server: LiveServer, seconds: int) -> tuple[Any, dict[str, Any], Any, int]:
    """A room's coupon drop (20 off) whose countdown is tested: ``seconds`` in both arms."""
    host, merchant, _coat, room_id = server.selling_room(
        title="限时领券", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    coupon = server.room_coupon_drop(host, room_id, name="限时立减券", code="CLOCK")
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant, "POST", "/api/experiments", {"name": "倒计时", "variants": variants}, expect=201
    )
    body = {"experiment_id": experiment["id"], "seconds": {"a": seconds, "b": seconds}}
    server.api(merchant, "PUT", f"/api/coupons/{coupon['id']}/countdown-experiment", body)
    return merchant, coupon, experiment, room_id


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_card_counts_down_the_viewers_time_and_closes_after_it(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    words = WORDS[locale]
    _merchant, coupon, _experiment, room_id = _counting_down(server, seconds=6)
    viewer = server.create_user(server.unique("clockfan"))

    page = open_page(viewer, f"/rooms/{room_id}", locale=locale, size=size)
    card = page.locator(f".coupon-drop[data-coupon-id='{coupon['id']}']")
    expect(card.locator(".coupon-countdown")).to_have_text(re.compile(words["clock"]))
    expect(card.locator(".coupon-countdown")).to_have_text(words["over"], timeout=15_000)
    expect(card.locator(".coupon-grab")).to_have_text(words["expired"])
    expect(card.locator(".coupon-grab")).to_be_disabled()
    expect(card).to_be_visible()
    # read in one step in the page: the card is redrawn as frames arrive, and a handle
    # taken before a redraw has no box after it
    box = card.evaluate("(n) => { const r = n.getBoundingClientRect(); return [r.x, r.width]; }")
    assert box[0] >= 0
    assert box[0] + box[1] <= page.viewport_size["width"] + 1  # type: ignore[index]

    refused = server.api(viewer, "POST", f"/api/coupons/{coupon['id']}/grab", expect=409)
    assert refused["code"] == "offer_expired"
    assert server.api(viewer, "GET", "/api/coupons/mine") == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_viewer_grabs_inside_their_countdown(
    server: LiveServer, open_page: OpenPage, size: str
) -> None:
    merchant, coupon, experiment, room_id = _counting_down(server, seconds=600)
    viewer = server.create_user(server.unique("clockbuyer"))

    page = open_page(viewer, f"/rooms/{room_id}", locale="zh-CN", size=size)
    card = page.locator(f".coupon-drop[data-coupon-id='{coupon['id']}']")
    clock = re.compile(r"^(9:5\d|10:00) 后截止领取$")
    expect(card.locator(".coupon-countdown")).to_have_text(clock)
    card.locator(".coupon-grab").click()
    expect(card.locator(".coupon-grab")).to_have_text("已领取")
    expect(card.locator(".coupon-countdown")).to_have_count(0)

    [held] = server.api(viewer, "GET", "/api/coupons/mine")
    assert held["coupon"]["id"] == coupon["id"]
    results = server.api(merchant, "GET", f"/api/experiments/{experiment['id']}/results")
    assert sum(variant["users"] for variant in results["variants"]) == 1
