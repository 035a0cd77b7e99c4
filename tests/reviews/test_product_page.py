"""The product page over HTTP: what it shows, escaped, and who sees a held product."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.catalog import staff
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.live import service as live
from liveshop.live import shelf
from tests.conftest import Account, MakeAccount
from tests.reviews.helpers import make_product, order_line


def _selling_rooms(database_url: str, merchant: Account, host: Account, product_id: int) -> None:
    """Host (staff of the merchant's shop) has the product on a live room's shelf and on
    a scheduled one's; a third room, ended, had it too."""
    with unit_of_work(database_url) as session:
        owner, acting = session.get_one(User, merchant.id), session.get_one(User, host.id)
        invitation = staff.invite_staff(session, owner=owner, user_id=host.id)
        staff.accept_invitation(session, invitee=acting, invitation_id=invitation.id)
        for title, state in (("Live now", "live"), ("Tomorrow", "scheduled"), ("Over", "ended")):
            room = live.create_room(
                session, host=acting, title=title, scheduled_at=utcnow() + timedelta(days=1)
            )
            shelf.set_shelf(session, actor=acting, room_id=room.id, product_ids=[product_id])
            if state != "scheduled":
                live.start_room(session, actor=acting, room_id=room.id)
            if state == "ended":
                live.end_room(session, actor=acting, room_id=room.id)


def test_the_page_shows_skus_the_30_day_low_rooms_reviews_and_similar_products(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, host, buyer = make_account(Role.MERCHANT), make_account(Role.HOST), make_account()
    product_id, _ = make_product(
        database_url,
        merchant,
        title="<b>Silk</b> scarf",
        price=9_900,
        images=["https://img.example.com/scarf.jpg"],
    )
    similar_id, _ = make_product(database_url, merchant, title="Cashmere scarf")
    make_product(database_url, merchant, title="Kettle", category="kitchen")
    product = client.get(f"/api/products/{product_id}").json()
    raised = client.patch(
        f"/api/products/{product_id}",
        json={"skus": [{"id": product["skus"][0]["id"], "price": 12_900}]},
        headers=merchant.headers,
    )
    assert raised.status_code == 200
    _selling_rooms(database_url, merchant, host, product_id)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    client.post(
        f"/api/order-items/{line.item_id}/review",
        json={"rating": 4, "text": "<script>alert(1)</script>不错"},
        headers=buyer.headers,
    )

    page = client.get(f"/products/{product_id}")
    assert page.status_code == 200
    html = page.text
    assert "&lt;b&gt;Silk&lt;/b&gt; scarf" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;不错" in html
    assert '<strong class="price" id="price">¥129.00</strong>' in html
    assert "30 天最低 ¥99.00" in html
    assert "库存 49" in html  # 50, less the unit bought
    assert "Live now" in html
    assert "Tomorrow" in html
    assert "Over" not in html
    assert html.index("Live now") < html.index("Tomorrow")
    assert f'href="/products/{similar_id}"' in html
    assert "Kettle" not in html
    assert "1 条评价" in html
    assert 'src="https://img.example.com/scarf.jpg"' in html


def test_a_held_product_page_is_absent_to_buyers_and_open_to_its_shop(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, viewer = make_account(Role.MERCHANT), make_account()
    held_id, _ = make_product(database_url, merchant, title="特级初榨橄榄油")
    assert client.get(f"/products/{held_id}").status_code == 404
    assert client.get(f"/products/{held_id}", headers=viewer.headers).status_code == 404
    assert client.get(f"/api/products/{held_id}/reviews").status_code == 404
    assert client.get(f"/products/{held_id}", headers=merchant.headers).status_code == 200
    assert client.get("/products/999999").status_code == 404
