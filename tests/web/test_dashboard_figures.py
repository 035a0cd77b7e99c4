"""The dashboards agree with the data (issue 18, §3), at phone and desktop sizes.

A live room with known activity is built through the API: two viewers watching (their
room pages open), a fan's likes, two buyers' page events (views, clicks, a cart) and
their paid orders. The room's report page and the merchant's dashboard then show every
figure exactly as the analytics API answered the page for the same room and window (the
answer the page itself received), the live counters as the room's API has them, the
known figures (orders, GMV, buyers, likes, the funnel's steps, products by name), and a
peak of viewers no lower than the viewers online. The CLI reads the same definitions.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from liveshop.accounts.models import User

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer
    from tests.web.conftest import PageOpener as NewPage

pytestmark = pytest.mark.browser

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
SCARF: dict[str, Any] = {"title": "羊绒围巾", "price": 12_900, "stock": 100}
CUP: dict[str, Any] = {"title": "保温杯", "price": 3_900, "stock": 100}
LIKES = 5
SETTLE_SECONDS = 20.0
KPIS = (
    "orders",
    "buyers",
    "unique_viewers",
    "peak_concurrent_viewers",
    "comments",
    "likes",
    "gifts",
)


def _yuan(minor: int) -> str:
    """formatPrice (common.js) in zh-CN without its ¥: grouped thousands, two decimals."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"


def _count(value: int) -> str:
    """formatCount (common.js) for the small counts here."""
    assert value < 10_000
    return str(value)


def _percent(fraction: float) -> str:
    """toFixed(1) of the percentage: half up on the number as stored."""
    exact = Decimal(fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{exact}%"


def _rounded(value: float) -> int:
    return math.floor(value + 0.5)  # Math.round


def _pay(server: LiveServer, buyer: User, room_id: int, sku_id: int, quantity: int) -> None:
    order = server.api(
        buyer,
        "POST",
        "/api/orders",
        {"items": [{"sku_id": sku_id, "quantity": quantity}], "room_id": room_id},
        expect=201,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    paid = server.pay_by_card(buyer, order["id"], idempotency_key=uuid.uuid4().hex)
    assert paid["status"] == "succeeded"


def _page_events(
    server: LiveServer, buyer: User, room_id: int, product_id: int, *kinds: str
) -> None:
    events = [{"event_type": kind, "product_id": product_id, "room_id": room_id} for kind in kinds]
    server.api(buyer, "POST", "/api/events", {"events": events}, expect=202)


def _settled_report(server: LiveServer, user: User, room_id: int) -> dict[str, Any]:
    """The report once the recorder has written the activity (it flushes every 2 s)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        report: dict[str, Any] = server.api(user, "GET", f"/api/analytics/rooms/{room_id}/report")
        if (report["orders"] == 2 and report["likes"] == LIKES) or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


@pytest.fixture(scope="module")
def active_room(server: LiveServer, browser: Browser) -> Iterator[dict[str, Any]]:
    host, merchant, scarf, room_id = server.selling_room(title="冬季上新 直播专场", product=SCARF)
    cup = server.create_product(merchant, **CUP)
    shelf = {"product_ids": [scarf["id"], cup["id"]]}
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", shelf)
    server.create_room(host, title="下周预告", start=False)  # another of the host's rooms
    viewers = [server.create_user(server.unique("watcher")) for _ in range(2)]
    contexts = []
    for viewer in viewers:  # two people watching in silence, their pages open
        context = browser.new_context(base_url=server.base_url, locale="zh-CN")
        context.add_cookies(
            [
                {
                    "name": "liveshop_session",
                    "value": server.session_token(viewer),
                    "url": server.base_url,
                }
            ]
        )
        context.new_page().goto(f"/rooms/{room_id}")
        contexts.append(context)
    fan = server.create_user(server.unique("fan"))
    server.api(fan, "POST", f"/api/rooms/{room_id}/likes", {"count": LIKES}, expect=202)
    first, second = (server.create_user(server.unique("buyer")) for _ in range(2))
    _page_events(server, first, room_id, scarf["id"], "view", "product_click", "cart")
    _page_events(server, second, room_id, cup["id"], "view", "product_click")
    _pay(server, first, room_id, scarf["skus"][0]["id"], 1)
    _pay(server, second, room_id, cup["skus"][0]["id"], 2)
    report = _settled_report(server, merchant, room_id)
    assert (report["orders"], report["likes"]) == (2, LIKES), report
    try:
        yield {"host": host, "merchant": merchant, "room_id": room_id, "scarf": scarf, "cup": cup}
    finally:
        for context in contexts:
            context.close()


def _open(new_page: NewPage, user: User, path: str, size: str) -> Page:
    page = new_page(user, "/")
    page.set_viewport_size(SIZES[size])
    page.goto(path)
    return page


def _refreshed_report(page: Page, room_id: int) -> dict[str, Any]:
    """Clicks 刷新 and returns the report the API answered the page."""
    button = page.locator("#report-refresh")
    expect(button).to_be_enabled()
    with page.expect_response(
        lambda response: response.url.split("?")[0].endswith(
            f"/api/analytics/rooms/{room_id}/report"
        )
    ) as answer:
        button.click()
    report: dict[str, Any] = answer.value.json()
    return report


def _expect_report_shown(page: Page, report: dict[str, Any]) -> None:
    """Every figure of the report on the page, formatted as the page formats it."""
    expect(page.locator("#kpi-gmv")).to_have_text(_yuan(report["gmv_minor_units"]))
    for key in KPIS:
        expect(page.locator(f"#kpi-{key}")).to_have_text(_count(report[key]))
    expect(page.locator("#kpi-conversion")).to_have_text(_percent(report["conversion"]))
    expect(page.locator("#kpi-gpm")).to_have_text(_yuan(_rounded(report["gpm_minor_units"])))
    expect(page.locator("#kpi-average_watch_seconds")).to_have_text(
        str(_rounded(report["average_watch_seconds"]))
    )
    rows = page.locator("#product-table tbody tr")
    expect(rows).to_have_count(len(report["products"]))
    for index, line in enumerate(report["products"]):
        expect(rows.nth(index).locator("td")).to_have_text(
            [
                line["title"],
                _count(line["card_clicks"]),
                _percent(line["click_through"]),
                _count(line["orders"]),
                _yuan(line["gmv_minor_units"]),
            ]
        )


def _expect_steps_shown(page: Page, list_id: str, steps: list[tuple[str, str, int]]) -> None:
    items = page.locator(f"#{list_id} li")
    expect(items).to_have_count(len(steps))
    for index, (key, label, value) in enumerate(steps):
        expect(items.nth(index)).to_have_attribute("data-key", key)
        expect(items.nth(index)).to_have_text(f"{label} {_count(value)}")


STEP_LABELS = {"view": "观看", "product_click": "点击", "cart": "加购", "purchase": "购买"}


def _funnel_steps(funnel: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(step["step"], STEP_LABELS[step["step"]], step["users"]) for step in funnel["steps"]]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_room_report_shows_the_apis_figures(
    server: LiveServer, new_page: NewPage, active_room: dict[str, Any], size: str
) -> None:
    room_id, merchant = active_room["room_id"], active_room["merchant"]
    page = _open(new_page, merchant, f"/dashboard/rooms/{room_id}", size)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#live-status")).to_have_text("直播中")
    expect(page.locator("#funnel-steps li")).to_have_count(4)

    report = _refreshed_report(page, room_id)
    _expect_report_shown(page, report)
    # the known activity
    gmv = SCARF["price"] + 2 * CUP["price"]
    assert (report["orders"], report["buyers"], report["gmv_minor_units"]) == (2, 2, gmv)
    assert report["likes"] == LIKES
    titles = {line["title"]: line for line in report["products"]}
    assert set(titles) == {SCARF["title"], CUP["title"]}
    assert (titles[SCARF["title"]]["orders"], titles[CUP["title"]]["gmv_minor_units"]) == (
        1,
        2 * CUP["price"],
    )
    assert "#" not in page.locator("#product-table").inner_text()

    funnel = server.api(
        merchant,
        "GET",
        f"/api/analytics/funnel?steps=view,product_click,cart,purchase&room_id={room_id}",
    )
    assert [step["users"] for step in funnel["steps"]] == [2, 2, 1, 1]
    _expect_steps_shown(page, "funnel-steps", _funnel_steps(funnel))

    # online: the room's live count, as its API has it; the peak is never below it
    room = server.api(merchant, "GET", f"/api/rooms/{room_id}")
    expect(page.locator("#live-viewers")).to_have_text(_count(room["viewers"]))
    expect(page.locator("#live-likes")).to_have_text(_count(room["likes"]))
    assert room["likes"] == LIKES
    assert room["viewers"] >= 2  # the two watchers (and this page's own connection)
    assert report["peak_concurrent_viewers"] >= room["viewers"], (report, room)

    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the report is {width} px wide in a {viewport} px viewport"
    assert new_page.errors[page] == []
    assert new_page.dialogs[page] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_merchants_dashboard_shows_the_apis_funnel_top_products_and_rooms(
    server: LiveServer, new_page: NewPage, active_room: dict[str, Any], size: str
) -> None:
    merchant, room_id = active_room["merchant"], active_room["room_id"]

    def answered(path: str) -> Any:
        return lambda response: response.url.split("?")[0].endswith(path)

    page = new_page(merchant, "/")
    page.set_viewport_size(SIZES[size])
    with (
        page.expect_response(answered("/api/analytics/funnel")) as funnel_answer,
        page.expect_response(answered("/api/analytics/top-products")) as top_answer,
    ):
        page.goto("/dashboard")
    funnel = funnel_answer.value.json()
    top = top_answer.value.json()
    assert [step["users"] for step in funnel["steps"]] == [2, 2, 1, 1]
    _expect_steps_shown(page, "funnel-steps", _funnel_steps(funnel))
    assert {row["title"]: row["count"] for row in top} == {SCARF["title"]: 1, CUP["title"]: 1}
    _expect_steps_shown(
        page, "top-products", [(row["product_id"], row["title"], row["count"]) for row in top]
    )
    assert top == server.api(merchant, "GET", "/api/analytics/top-products?event_type=view&top=10")

    # the merchant's rooms by title, live ones marked, each opening its report
    line = page.locator(f"#room-list li[data-room-id='{room_id}']")
    expect(line.locator("a")).to_have_text("冬季上新 直播专场")
    expect(line.locator(".room-status")).to_have_text("直播中")
    expect(page.locator("#room-list li")).to_have_count(1)  # 下周预告 shelves nothing of the shop
    line.locator("a").click()
    expect(page).to_have_url(f"{server.base_url}/dashboard/rooms/{room_id}")
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport
    assert new_page.errors[page] == []


def test_the_cli_reads_the_same_definition(server: LiveServer, active_room: dict[str, Any]) -> None:
    """``liveshop analyze session-report`` on the store, with the API's moment for the
    sessions still open, gives the API's figures."""
    room_id, merchant = active_room["room_id"], active_room["merchant"]
    report = server.api(merchant, "GET", f"/api/analytics/rooms/{room_id}/report")
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    env = os.environ | {"LIVESHOP_HOME": str(server.home)}
    env.pop("LIVESHOP_DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "liveshop.cli",
            "analyze",
            "session-report",
            "--room",
            str(room_id),
            "--open-until",
            moment,
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    for key in ("orders", "buyers", "unique_viewers", "likes", "peak_concurrent_viewers"):
        assert cli[key] == report[key], key
    assert cli["gmv_minor_units"] == report["gmv_minor_units"]
    assert {line["product_id"]: line["gmv_minor_units"] for line in cli["products"]} == {
        line["product_id"]: line["gmv_minor_units"] for line in report["products"]
    }
