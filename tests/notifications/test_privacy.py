"""A person's reviews, follows and notices in their export, and gone when erased."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.notifications.fan_out import run_pending_fan_outs
from liveshop.notifications.models import HostFollower, Notification, NotificationSettings
from liveshop.orders import service as orders
from liveshop.privacy.erasure import erase_subject
from liveshop.privacy.export import export_user_data
from liveshop.reviews.models import Review, ReviewStatus
from tests.conftest import MakeAccount
from tests.reviews.helpers import make_product, order_line


def test_export_shows_and_erasure_removes_reviews_follows_and_notices(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    merchant, host, buyer = make_account(Role.MERCHANT), make_account(Role.HOST), make_account()
    product_id, _ = make_product(database_url, merchant)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    client.post(
        f"/api/order-items/{line.item_id}/review",
        json={"rating": 4, "text": "我住在幸福路 8 号，收到很快"},
        headers=buyer.headers,
    )
    client.post(f"/api/hosts/{host.id}/follow", headers=buyer.headers)
    client.put(
        "/api/notifications/preferences", json={"email": "me@example.com"}, headers=buyer.headers
    )
    room = client.post("/api/rooms", json={"title": "上新"}, headers=host.headers).json()
    client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)
    run_pending_fan_outs(database_url, batch_size=100, mailing=None)
    with unit_of_work(database_url) as session:  # a finished order: erasure need not wait
        orders.complete_order(
            session, actor=session.get_one(User, buyer.id), order_id=line.order_id
        )

    with unit_of_work(database_url) as session:
        exported = export_user_data(session, user_id=buyer.id, settings=settings)
    assert exported["reviews"]["reviews"][0]["text"] == "我住在幸福路 8 号，收到很快"
    assert exported["notifications"]["followed_hosts"] == [host.id]
    assert exported["notifications"]["email"] == "me@example.com"
    assert [notice["kind"] for notice in exported["notifications"]["notifications"]] == [
        "room_live"
    ]

    with unit_of_work(database_url) as session:
        erase_subject(session, user_id=buyer.id, settings=settings, actor="test")
    with unit_of_work(database_url) as session:
        review = session.scalars(select(Review)).one()
        assert (review.text, review.status) == ("", ReviewStatus.REMOVED)
        for table in (HostFollower, Notification, NotificationSettings):
            assert session.scalar(select(func.count()).select_from(table)) == 0
