"""Host credit and shop scores: their reasons, their owners' view, and the
flash-sale gate."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.models import (
    Inspection,
    InspectionResult,
    InspectionTarget,
    PenaltyKind,
    SubjectType,
)
from liveshop.governance.penalties import ActionRequest, impose_penalty
from liveshop.governance.scores import (
    AfterSalesFigures,
    compute_score,
    may_run_flash_sale,
    register_after_sales_source,
    unregister_after_sales_source,
)
from liveshop.orders.service import mark_paid
from liveshop.wiring import connect_domains
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount
from tests.governance.helpers import (
    api_client,
    make_shop_product,
    moderation_settings,
)
from tests.live.helpers import live_room, shop_product

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def after_sales() -> Iterator[dict[tuple[SubjectType, int], AfterSalesFigures]]:
    """An after-sales source as ``orders`` registers one."""
    figures: dict[tuple[SubjectType, int], AfterSalesFigures] = {}

    def source(
        session: Session, subject_type: SubjectType, subject_id: int, since: datetime
    ) -> AfterSalesFigures:
        return figures.get((subject_type, subject_id), AfterSalesFigures(0, 0, 0))

    register_after_sales_source(source)
    yield figures
    unregister_after_sales_source()
    connect_domains()  # orders' own source, as the app registers it


def _warn(
    database_url: str,
    moderator_id: int,
    subject: tuple[SubjectType, int],
    points: int,
    now: datetime | None = NOW,
) -> None:
    with unit_of_work(database_url) as session:
        impose_penalty(
            session,
            moderator=session.get_one(User, moderator_id),
            request=ActionRequest(
                PenaltyKind.WARNING,
                "misleading copy",
                subject_type=subject[0],
                subject_id=subject[1],
                points=points,
            ),
            settings=moderation_settings(),
            now=now,
        )


def test_a_score_lists_each_deduction_and_never_goes_below_zero(
    database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    merchant = make_account(Role.MERCHANT)
    shop_id, product_id = make_shop_product(database_url, merchant)
    _warn(database_url, moderator.id, (SubjectType.SHOP, shop_id), 3)
    settings = moderation_settings()
    with unit_of_work(database_url) as session:
        session.add(
            Inspection(
                target_type=InspectionTarget.PRODUCT,
                target_id=product_id,
                shop_id=shop_id,
                seed="s",
                rate="0.1",
                result=InspectionResult.FAIL,
                findings="mislabelled origin",
                recorded_at=NOW,
            )
        )
    with unit_of_work(database_url) as session:
        score = compute_score(
            session,
            subject_type=SubjectType.SHOP,
            subject_id=shop_id,
            settings=settings,
            after_sales=AfterSalesFigures(orders=200, complaints=5, refunds=21),
            now=NOW,
        )
        assert [(r.code, r.deduction, r.detail) for r in score.reasons] == [
            ("violations", 6, "3 violation points in the last 30 days"),
            ("complaint_rate", 9, "complaints on 3% of 200 orders"),  # 2.5% rounds half up
            ("refund_rate", 11, "refunds on 11% of 200 orders"),
            ("failed_inspections", 10, "1 failed sampling inspections in 90 days"),
        ]
        assert [r.figures for r in score.reasons] == [
            {"points": 3, "days": 30},
            {"percent": 3, "orders": 200},
            {"percent": 11, "orders": 200},
            {"count": 1, "days": 90},
        ]
        assert score.value == 100 - 6 - 9 - 11 - 10
        harsh = moderation_settings(score_per_refund_percent=50)
        floor = compute_score(
            session,
            subject_type=SubjectType.SHOP,
            subject_id=shop_id,
            settings=harsh,
            after_sales=AfterSalesFigures(orders=10, complaints=0, refunds=10),
            now=NOW,
        )
        assert floor.value == 0


def test_flash_sales_need_the_minimum_host_score(
    database_url: str,
    make_account: MakeAccount,
    after_sales: dict[tuple[SubjectType, int], AfterSalesFigures],
) -> None:
    moderator = make_account(Role.MODERATOR)
    host = make_account(Role.HOST)
    settings = moderation_settings(flash_sale_min_score=90)
    with unit_of_work(database_url) as session:
        assert may_run_flash_sale(session, host.id, settings=settings, now=NOW)
    _warn(database_url, moderator.id, (SubjectType.USER, host.id), 4)  # -8: 92
    after_sales[(SubjectType.USER, host.id)] = AfterSalesFigures(100, 1, 0)  # -3: 89
    with unit_of_work(database_url) as session:
        assert not may_run_flash_sale(session, host.id, settings=settings, now=NOW)
        assert may_run_flash_sale(
            session, host.id, settings=moderation_settings(flash_sale_min_score=89), now=NOW
        )
        # Figures passed by the caller win over the registered source.
        assert may_run_flash_sale(
            session, host.id, settings=settings, after_sales=AfterSalesFigures(0, 0, 0), now=NOW
        )


def test_owners_see_their_scores_with_reasons(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    moderator = make_account(Role.MODERATOR)
    host = make_account(Role.HOST)
    merchant = make_account(Role.MERCHANT)
    viewer = make_account(Role.VIEWER)
    shop_id, _ = make_shop_product(database_url, merchant)
    _warn(database_url, moderator.id, (SubjectType.USER, host.id), 2, now=None)
    with api_client(settings, moderation_settings(flash_sale_min_score=85)) as client:
        host_view = client.get("/api/scores/mine", headers=host.headers).json()
        assert host_view["shop"] is None
        assert host_view["flash_sale_min_score"] == 85
        assert host_view["host"]["value"] == 96
        assert host_view["host"]["reasons"] == [
            {
                "code": "violations",
                "deduction": 4,
                "detail": "2 violation points in the last 30 days",
                "figures": {"points": 2, "days": 30},  # what the page says it with
            }
        ]
        shop_view = client.get("/api/scores/mine", headers=merchant.headers).json()
        assert shop_view["host"] is None
        assert (shop_view["shop"]["subject_id"], shop_view["shop"]["value"]) == (shop_id, 100)
        assert client.get("/api/scores/mine", headers=viewer.headers).json()["shop"] is None


def _paid_room_order(
    client: TestClient, buyer: Account, *, sku_id: int, room_id: int, database_url: str
) -> int:
    placed = client.post(
        "/api/orders",
        json={"items": [{"sku_id": sku_id, "quantity": 1}], "room_id": room_id},
        headers=buyer.headers | {"Idempotency-Key": f"score-{uuid.uuid4()}"},
    )
    assert placed.status_code == 201, placed.text
    order_id: int = placed.json()["id"]
    with unit_of_work(database_url) as session:
        mark_paid(session, order_id=order_id, payment_ref=f"pay-{order_id}")
    return order_id


def test_a_hosts_credit_score_counts_the_after_sales_of_orders_in_their_rooms(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = shop_product(client, merchant, price=5_000)
    hire(client, merchant, host)
    room_id = live_room(client, host)
    sku_id = product["skus"][0]["id"]
    orders = [
        _paid_room_order(client, buyer, sku_id=sku_id, room_id=room_id, database_url=database_url)
        for _ in range(5)
    ]
    refund = client.post(
        f"/api/orders/{orders[0]}/after-sales",
        json={"reason": "开线了", "quality_complaint": True},
        headers=buyer.headers,
    )
    assert (refund.status_code, refund.json()["status"]) == (201, "refunded")

    scores = client.get("/api/scores/mine", headers=host.headers).json()

    # One of five orders (20 %) drew a complaint (3 points a percent) and a refund (1).
    after_sales = [
        {
            "code": "complaint_rate",
            "deduction": 60,
            "detail": "complaints on 20% of 5 orders",
            "figures": {"percent": 20, "orders": 5},
        },
        {
            "code": "refund_rate",
            "deduction": 20,
            "detail": "refunds on 20% of 5 orders",
            "figures": {"percent": 20, "orders": 5},
        },
    ]
    assert (scores["host"]["value"], scores["host"]["reasons"]) == (20, after_sales)
    assert (scores["shop"]["value"], scores["shop"]["reasons"]) == (20, after_sales)
    now = utcnow()
    sale = client.post(
        "/api/flash-sales",
        json={
            "room_id": room_id,
            "sku_id": sku_id,
            "price": 1_000,
            "quantity": 1,
            "per_user_limit": 1,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
        headers=host.headers,
    )
    assert sale.status_code == 403, sale.text
    assert sale.json()["code"] == "host_score_too_low"
