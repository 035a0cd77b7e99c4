"""Reviews through the HTTP API: who may write one, edits, photos, the filter, the
shop's reply, helpful votes, aggregated ratings, reports that remove a review."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.reviews.models import Review, ReviewStatus, ReviewVote
from tests.conftest import Account, MakeAccount
from tests.reviews.helpers import make_product, order_line

PHOTO = "https://img.example.com/a.jpg"


def _review_count(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(Review)) or 0)


def _write(client: TestClient, account: Account, item_id: int, **body: object) -> object:
    return client.post(
        f"/api/order-items/{item_id}/review",
        json={"rating": 5, "text": "好用", **body},
        headers=account.headers,
    )


def test_a_buyer_reviews_a_delivered_line_once_and_the_ratings_add_up(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    product_id, shop_id = make_product(database_url, merchant)
    other_product, _ = make_product(database_url, merchant, title="Wool hat")
    buyers = [make_account() for _ in range(3)]
    lines = [
        order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
        for buyer in buyers
    ]
    hat = order_line(database_url, buyer=buyers[0], merchant=merchant, product_id=other_product)
    for buyer, line, rating in zip(buyers, lines, (5, 4, 4), strict=True):
        answer = client.post(
            f"/api/order-items/{line.item_id}/review",
            json={"rating": rating, "text": f"{rating} 星", "photos": [PHOTO]},
            headers=buyer.headers,
        )
        assert answer.status_code == 201, answer.text
    assert _write(client, buyers[0], hat.item_id, rating=1).status_code == 201

    again = _write(client, buyers[0], lines[0].item_id, rating=1)
    assert (again.status_code, again.json()["code"]) == (409, "already_reviewed")

    listing = client.get(f"/api/products/{product_id}/reviews").json()
    assert listing["product"] == {
        "count": 3,
        "average": 4.3,
        "distribution": {"5": 1, "4": 2, "3": 0, "2": 0, "1": 0},
    }
    assert listing["shop"]["count"] == 4
    assert listing["shop"]["average"] == 3.5
    assert [review["rating"] for review in listing["reviews"]] == [4, 4, 5]  # newest first
    first = listing["reviews"][-1]
    assert first["photos"] == [PHOTO]
    assert first["author"] != buyers[0].username
    assert first["author"].startswith(buyers[0].username[0])
    assert first["variant"] == "Silk scarf"
    assert first["mine"] is False
    assert shop_id == first["shop_id"]
    lowest = client.get(f"/api/products/{product_id}/reviews?order=rating_low&stars=4").json()
    assert [review["rating"] for review in lowest["reviews"]] == [4, 4]
    assert lowest["total"] == 2


def test_only_the_buyer_of_a_delivered_order_reviews_and_a_refusal_writes_nothing(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    product_id, _ = make_product(database_url, merchant)
    buyer, stranger = make_account(), make_account()
    shipped = order_line(
        database_url, buyer=buyer, merchant=merchant, product_id=product_id, state="shipped"
    )
    delivered = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)

    early = _write(client, buyer, shipped.item_id)
    assert (early.status_code, early.json()["code"]) == (409, "not_delivered")
    assert _write(client, stranger, delivered.item_id).status_code == 404
    assert _write(client, merchant, delivered.item_id).status_code == 404
    assert (
        client.post(f"/api/order-items/{delivered.item_id}/review", json={"rating": 5}).status_code
        == 401
    )
    assert _write(client, buyer, 999_999).status_code == 404
    assert _write(client, buyer, delivered.item_id, rating=6).status_code == 422
    assert _review_count(database_url) == 0


def test_photos_must_be_https_addresses(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account()
    product_id, _ = make_product(database_url, merchant)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    for bad in (
        "http://img.example.com/a.jpg",
        "javascript:alert(1)",
        "https://user:pw@img.example.com/a.jpg",
        "https:///nohost.jpg",
        "https://img.example.com/a b.jpg",
        "https://img.example.com/" + "a" * 600,
    ):
        answer = _write(client, buyer, line.item_id, photos=[bad])
        assert answer.status_code == 422, bad
    too_many = _write(client, buyer, line.item_id, photos=[PHOTO] * 10)
    assert too_many.status_code == 422
    assert _review_count(database_url) == 0


def test_the_author_edits_while_the_window_is_open(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, buyer, stranger = make_account(Role.MERCHANT), make_account(), make_account()
    product_id, _ = make_product(database_url, merchant)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    review = _write(client, buyer, line.item_id, rating=3).json()

    edited = client.patch(
        f"/api/reviews/{review['id']}",
        json={"rating": 4, "text": "用了一周，不错"},
        headers=buyer.headers,
    )
    assert edited.status_code == 200
    assert (edited.json()["rating"], edited.json()["text"]) == (4, "用了一周，不错")
    other = client.patch(
        f"/api/reviews/{review['id']}", json={"rating": 1}, headers=stranger.headers
    )
    assert other.status_code == 403

    with unit_of_work(database_url) as session:
        session.execute(
            update(Review)
            .where(Review.id == review["id"])
            .values(editable_until=utcnow() - timedelta(seconds=1))
        )
    late = client.patch(f"/api/reviews/{review['id']}", json={"rating": 1}, headers=buyer.headers)
    assert (late.status_code, late.json()["code"]) == (409, "edit_window_closed")
    with unit_of_work(database_url) as session:
        assert session.get_one(Review, review["id"]).rating == 4


def test_the_filter_blocks_masks_or_holds_review_text(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, moderator = make_account(Role.MERCHANT), make_account(Role.MODERATOR)
    product_id, _ = make_product(database_url, merchant)
    buyers = [make_account() for _ in range(3)]
    lines = [
        order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
        for buyer in buyers
    ]
    blocked = _write(client, buyers[0], lines[0].item_id, text="想要便宜就私下交易加v")
    assert (blocked.status_code, blocked.json()["code"]) == (422, "text_blocked")
    assert _review_count(database_url) == 0

    masked = _write(client, buyers[0], lines[0].item_id, text="傻逼商家发货慢")
    assert masked.status_code == 201
    assert (masked.json()["text"], masked.json()["status"]) == ("**商家发货慢", "published")

    held = _write(client, buyers[1], lines[1].item_id, text="快递员说要弄死你")
    assert (held.status_code, held.json()["status"]) == (201, "held")
    held_id = held.json()["id"]
    public = client.get(f"/api/products/{product_id}/reviews").json()
    assert [review["id"] for review in public["reviews"]] == [masked.json()["id"]]
    assert public["product"]["count"] == 1
    own = client.get(f"/api/products/{product_id}/reviews", headers=buyers[1].headers).json()
    assert {review["id"] for review in own["reviews"]} == {masked.json()["id"], held_id}
    assert (
        client.post(f"/api/reviews/{held_id}/helpful", headers=buyers[2].headers).status_code == 404
    )

    queue = client.get("/api/reviews/held", headers=moderator.headers).json()
    assert [review["id"] for review in queue] == [held_id]
    refused = client.post(f"/api/reviews/{held_id}/approve", headers=buyers[1].headers)
    assert refused.status_code == 403
    approved = client.post(f"/api/reviews/{held_id}/approve", headers=moderator.headers)
    assert approved.json()["status"] == "published"
    twice = client.post(f"/api/reviews/{held_id}/approve", headers=moderator.headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "not_held")
    assert client.get(f"/api/products/{product_id}/reviews").json()["product"]["count"] == 2


def test_the_shop_replies_and_readers_vote_helpful_once(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, rival = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    make_product(database_url, rival, title="Rival hat")
    product_id, _ = make_product(database_url, merchant)
    buyer, reader, regulator = make_account(), make_account(), make_account(Role.REGULATOR)
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    review_id = _write(client, buyer, line.item_id).json()["id"]

    reply = client.put(
        f"/api/reviews/{review_id}/reply", json={"text": "谢谢支持"}, headers=merchant.headers
    )
    assert (reply.status_code, reply.json()["reply"]) == (200, "谢谢支持")
    assert (
        client.put(
            f"/api/reviews/{review_id}/reply", json={"text": "差评"}, headers=rival.headers
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/reviews/{review_id}/reply", json={"text": "谢谢"}, headers=buyer.headers
        ).status_code
        == 403
    )

    for _ in range(2):
        voted = client.post(f"/api/reviews/{review_id}/helpful", headers=reader.headers)
        assert (voted.status_code, voted.json()["helpful_count"]) == (200, 1)
    assert (
        client.post(f"/api/reviews/{review_id}/helpful", headers=buyer.headers).status_code == 403
    )
    assert (
        client.post(f"/api/reviews/{review_id}/helpful", headers=regulator.headers).status_code
        == 403
    )
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(ReviewVote)) == 1
    shown = client.get(f"/api/products/{product_id}/reviews", headers=buyer.headers).json()
    assert shown["reviews"][0]["reply"] == "谢谢支持"
    assert shown["reviews"][0]["mine"] is True


def test_a_report_a_moderator_acts_on_removes_the_review(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, moderator = make_account(Role.MERCHANT), make_account(Role.MODERATOR)
    product_id, _ = make_product(database_url, merchant)
    buyer, reporter = make_account(), make_account()
    line = order_line(database_url, buyer=buyer, merchant=merchant, product_id=product_id)
    review_id = _write(client, buyer, line.item_id, text="假货").json()["id"]

    filed = client.post(
        "/api/reports",
        json={"target_type": "review", "target_id": review_id, "reason": "fraud"},
        headers=reporter.headers,
    )
    assert filed.status_code == 201, filed.text
    missing = client.post(
        "/api/reports",
        json={"target_type": "review", "target_id": 999_999, "reason": "fraud"},
        headers=reporter.headers,
    )
    assert missing.status_code == 404
    report_id = filed.json()["id"]
    client.post(f"/api/moderation/reports/{report_id}/claim", headers=moderator.headers)
    decided = client.post(
        f"/api/moderation/reports/{report_id}/decision",
        json={"resolution": "fake review", "action": {"kind": "warning", "rule": "fake review"}},
        headers=moderator.headers,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["penalty"]["subject_id"] == buyer.id

    with unit_of_work(database_url) as session:
        review = session.get_one(Review, review_id)
        assert (review.status, review.removed_by_report) == (ReviewStatus.REMOVED, report_id)
    listing = client.get(f"/api/products/{product_id}/reviews").json()
    assert (listing["reviews"], listing["product"]["count"]) == ([], 0)
