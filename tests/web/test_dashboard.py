"""The merchant dashboard in Chromium: the session report's Plotly charts render and the
live counters follow the room's frames.

Until app.py includes the analytics routers, this module runs its own server: the
app from ``create_app`` with the events, analytics and dashboard routers added.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.events.store import append_events
from tests.web.conftest import LiveServer, PageOpener


def _events(room_id: int, product_id: int) -> list[dict[str, Any]]:
    start = utcnow() - timedelta(minutes=10)

    def event(kind: str, user: str, minute: float, **properties: Any) -> dict[str, Any]:
        product = product_id if kind in ("view", "product_click", "purchase") else None
        return {
            "event_id": uuid.uuid4().hex,
            "event_type": kind,
            "user_id": user,
            "room_id": room_id,
            "product_id": product,
            "ts": start + timedelta(minutes=minute),
            "properties": properties,
        }

    return [
        event("join", "u_a", 0),
        event("join", "u_b", 0.5),
        event("join", "u_c", 1.2),
        event("view", "u_a", 0.2),
        event("product_click", "u_a", 0.4),
        event("product_click", "u_b", 1.1),
        event("comment", "u_b", 1.3),
        event("purchase", "u_a", 1.5, amount=12990),
        event("purchase", "u_c", 2.5, amount=12990),
        event("leave", "u_a", 3.0, watch_seconds=180),
    ]


def test_room_dashboard_draws_charts_and_follows_the_live_counters(
    server: LiveServer, new_page: PageOpener
) -> None:
    host = server.create_user(server.unique("dashhost"), Role.HOST)
    merchant = server.create_user(server.unique("dashshop"), Role.MERCHANT)
    fan = server.create_user(server.unique("dashfan"))
    product = server.create_product(
        merchant, title="<img src=x onerror=alert(1)>", price=12990, stock=50
    )
    room_id = server.create_room(host, title="<script>alert(1)</script> 冬季", start=True)
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": [product["id"]]})
    append_events(
        server.home / "events.duckdb",
        _events(room_id, product["id"]),
    )

    page = new_page(host, f"/dashboard/rooms/{room_id}")
    expect(page.locator("#room-title")).to_have_text("<script>alert(1)</script> 冬季")
    # the charts: Plotly drew an svg in each
    for chart in ("#chart-timeline", "#chart-funnel", "#chart-products"):
        expect(page.locator(f"{chart} svg.main-svg").first).to_be_visible(timeout=15000)
    expect(page.locator("#kpi-gmv")).to_have_text("259.80")
    expect(page.locator("#kpi-orders")).to_have_text("2")
    expect(page.locator("#kpi-buyers")).to_have_text("2")
    expect(page.locator("#product-table tbody tr")).to_have_count(1)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=10000)

    # live: a viewer's likes reach the dashboard's counter through the room's frames
    expect(page.locator("#live-likes")).to_have_text("0")
    server.api(fan, "POST", f"/api/rooms/{room_id}/likes", {"count": 7}, expect=202)
    expect(page.locator("#live-likes")).to_have_text("7", timeout=5000)

    # the merchant with a product on the shelf opens it too, and the overview page
    shop_page = new_page(merchant, f"/dashboard/rooms/{room_id}")
    expect(shop_page.locator("#chart-products svg.main-svg").first).to_be_visible(timeout=15000)
    overview = new_page(merchant, "/dashboard")
    expect(overview.locator("#chart-top-products svg.main-svg").first).to_be_visible(timeout=15000)
    expect(overview.locator("#chart-funnel svg.main-svg").first).to_be_visible(timeout=15000)
    expect(overview.locator("#segments-summary")).to_have_text("2 位顾客")  # u_a, u_c
    for opened in (page, shop_page, overview):
        assert new_page.dialogs[opened] == []
        assert new_page.errors[opened] == []


def test_dashboard_refuses_viewers_and_serves_plotly_locally(
    server: LiveServer, new_page: PageOpener
) -> None:
    viewer = server.create_user(server.unique("dashviewer"))
    host = server.create_user(server.unique("otherhost"), Role.HOST)
    room_id = server.create_room(host, title="not yours", start=False)
    token = server.session_token(viewer)
    cookies = {"liveshop_session": token}
    assert httpx.get(f"{server.base_url}/dashboard", cookies=cookies).status_code == 403
    response = httpx.get(f"{server.base_url}/dashboard/rooms/{room_id}", cookies=cookies)
    assert response.status_code == 403
    anonymous = httpx.get(f"{server.base_url}/dashboard", follow_redirects=False)
    assert anonymous.status_code == 303
    bundle = httpx.get(f"{server.base_url}/vendor/plotly.min.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "max-age" in bundle.headers["cache-control"]
    assert len(bundle.content) > 1_000_000
