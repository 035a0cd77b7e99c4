"""An order's capture and refunds in the ledger: exact splits, full reversal, verify."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.cli import app as cli_app
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import get_settings
from liveshop.live import service as live
from liveshop.orders import service as orders
from liveshop.orders.models import AfterSale, AfterSaleKind, AfterSaleStatus, Order
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments import ledger
from liveshop.payments.ledger import AccountKey, AccountKind, InsufficientFunds
from liveshop.payments.order_ledger import (
    FeeRates,
    PaymentSource,
    record_order_paid,
    record_refund,
)
from liveshop.payments.verify import verify_ledger
from liveshop.promotions import coupons
from liveshop.promotions.models import CouponKind
from liveshop.promotions.schemas import CouponIn
from tests.conftest import MakeAccount

RATES = FeeRates(platform_fee_bps=500, host_commission_bps=1_000)


def _coupon(session: Session, actor_id: int, code: str, amount: int, **more: object) -> None:
    now = utcnow()
    coupons.create_coupon(
        session,
        actor=session.get_one(User, actor_id),
        body=CouponIn(
            code=code,
            name=code,
            kind=CouponKind.FIXED,
            amount=amount,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            total_quantity=10,
            **more,  # type: ignore[arg-type]
        ),
    )


@pytest.fixture
def room_order(database_url: str, make_account: MakeAccount) -> int:
    """Two of A (¥100) and one B (¥50) bought in a host's room, with a shop coupon
    (¥15 off everything) and a platform coupon (¥30 off A)."""
    merchant, host = make_account(Role.MERCHANT), make_account(Role.HOST)
    admin, buyer = make_account(Role.ADMIN), make_account(Role.VIEWER)
    with unit_of_work(database_url) as session:
        seller = session.get_one(User, merchant.id)
        a = catalog.create_product(
            session, merchant=seller, body=ProductIn(title="A", price=10_000, stock=5)
        )
        b = catalog.create_product(
            session, merchant=seller, body=ProductIn(title="B", price=5_000, stock=5)
        )
        room = live.create_room(session, host=session.get_one(User, host.id), title="直播")
        _coupon(session, merchant.id, "SHOP1500", 1_500)
        _coupon(session, admin.id, "PLAT3000", 3_000, platform=True, product_id=a.id)
        sku_a = catalog.skus_of(session, product_id=a.id)[0].id
        sku_b = catalog.skus_of(session, product_id=b.id)[0].id
        order, _created = orders.place_order(
            session,
            buyer=session.get_one(User, buyer.id),
            body=OrderIn(
                items=[
                    OrderItemIn(sku_id=sku_a, quantity=2),
                    OrderItemIn(sku_id=sku_b, quantity=1),
                ],
                room_id=room.id,
                coupon_codes=["SHOP1500", "PLAT3000"],
            ),
            idempotency_key="ledger-order-1",
            payment_minutes=15,
        )
        return order.id


def _balances(session: Session, order: Order) -> dict[str, int]:
    keys = {
        "clearing": ledger.platform_account(AccountKind.GATEWAY_CLEARING, "CNY"),
        "refunds": ledger.platform_account(AccountKind.REFUNDS_CLEARING, "CNY"),
        "subsidy": ledger.platform_account(AccountKind.PLATFORM_COUPON_SUBSIDY, "CNY"),
        "fees": ledger.platform_account(AccountKind.PLATFORM_FEES, "CNY"),
        "merchant": ledger.shop_account(AccountKind.MERCHANT_PENDING, order.shop_id, "CNY"),
        "host": ledger.user_account(AccountKind.HOST_EARNINGS, order.host_id or 0, "CNY"),
    }
    return {name: ledger.balance_of(session, key) for name, key in keys.items()}


def _after_sale(session: Session, order: Order, items: list[tuple[int, int, int]]) -> AfterSale:
    after_sale = AfterSale(
        order_id=order.id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        kind=AfterSaleKind.REFUND,
        status=AfterSaleStatus.REFUNDED,
        reason="不想要了",
        items=[{"sku_id": s, "quantity": q, "amount": a} for s, q, a in items],
        amount=sum(a for _s, _q, a in items),
    )
    session.add(after_sale)
    session.flush()
    return after_sale


def test_capture_splits_exactly_and_refunds_reverse_it(database_url: str, room_order: int) -> None:
    with unit_of_work(database_url) as session:
        order = orders.mark_paid(session, order_id=room_order, payment_ref="pay-1")
        assert (order.total, order.discount_total) == (20_500, 4_500)
        assert [b.check for b in verify_ledger(session).breaches] == ["order_captured"]
        capture = record_order_paid(
            session, order=order, amount=20_500, method=PaymentSource.CARD, rates=RATES
        )
        again = record_order_paid(
            session, order=order, amount=20_500, method=PaymentSource.CARD, rates=RATES
        )
        assert again.id == capture.id
        # base = 25,000 - 4,500 + 3,000 (the platform's coupon is not the shop's cost)
        assert _balances(session, order) == {
            "clearing": -20_500,
            "refunds": 0,
            "subsidy": -3_000,
            "fees": 1_175,
            "merchant": 19_975,
            "host": 2_350,
        }
        lines = {line.title: line for line in orders.order_out(session, order).items}
        sku_a, sku_b = lines["A"].sku_id, lines["B"].sku_id
        first = _after_sale(session, order, [(sku_a, 1, 7_900)])
        record_refund(session, order=order, amount=7_900, after_sale_id=first.id)
        # 7,900 paid + 1,500 subsidy back = 40 % of the value: 40 % of fee and commission
        assert _balances(session, order) == {
            "clearing": -20_500,
            "refunds": 7_900,
            "subsidy": -1_500,
            "fees": 705,
            "merchant": 11_985,
            "host": 1_410,
        }
        rest = _after_sale(session, order, [(sku_a, 1, 7_900), (sku_b, 1, 4_700)])
        record_refund(session, order=order, amount=12_600, after_sale_id=rest.id)
        record_refund(session, order=order, amount=12_600, after_sale_id=rest.id)  # a retry
        assert _balances(session, order) == {
            "clearing": -20_500,
            "refunds": 20_500,
            "subsidy": 0,
            "fees": 0,
            "merchant": 0,
            "host": 0,
        }
        assert verify_ledger(session).ok


def test_a_wallet_payment_needs_the_money(
    database_url: str, room_order: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(database_url) as session:
        order = orders.mark_paid(session, order_id=room_order, payment_ref="wallet-1")
        wallet = AccountKey(AccountKind.BUYER_WALLET, ledger.OwnerType.USER, order.buyer_id, "CNY")
        ledger.transfer(
            session,
            kind="wallet_top_up",
            reference="t-1",
            source=ledger.platform_account(AccountKind.GATEWAY_CLEARING, "CNY"),
            target=wallet,
            amount=20_000,
        )
        with pytest.raises(InsufficientFunds):
            record_order_paid(
                session, order=order, amount=20_500, method=PaymentSource.WALLET, rates=RATES
            )
    # The CLI sees the paid order without a capture, and says so.
    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["ledger", "verify", "--format", "json"])
        assert result.exit_code == 1
        report = json.loads(result.output)
        assert [(b["check"], b["subject"]) for b in report["breaches"]] == [
            ("order_captured", f"order {room_order}")
        ]
        with unit_of_work(database_url) as session:
            ledger.transfer(
                session,
                kind="wallet_top_up",
                reference="t-2",
                source=ledger.platform_account(AccountKind.GATEWAY_CLEARING, "CNY"),
                target=wallet,
                amount=500,
            )
            order = session.get_one(Order, room_order)
            record_order_paid(
                session, order=order, amount=20_500, method=PaymentSource.WALLET, rates=RATES
            )
            assert ledger.balance_of(session, wallet) == 0
        result = CliRunner().invoke(cli_app, ["ledger", "verify"])
        assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
