"""The buyer's journey (issue 17): demo_viewer follows the host, has a reviewed scarf
delivered and a second one on its way, and won an auction it has to pay for."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions.demo_data import seed_won_auction
from liveshop.auctions.engines import bid_engine_for
from liveshop.catalog import service as catalog
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.settings import get_settings
from liveshop.notifications import follows
from liveshop.notifications.listeners import queue_go_live_fan_out
from liveshop.orders import service as orders
from liveshop.orders.models import OrderItem, OrderStatus
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments import charges, wallets
from liveshop.payments.context import payment_context
from liveshop.payments.models import MethodKind, TopUp, TopUpKind
from liveshop.payments.vault import MasterKey
from liveshop.reviews import service as review_service
from liveshop.reviews.schemas import ReviewIn
from liveshop.tracking import service as tracking
from liveshop.tracking.carriers import SandboxCarrier

JOURNEY_SCARF = 2  # the shop's third product, the scarf: reviewed, and a second one on its way


def seed_demo_auction(database_url: str, *, room_id: int) -> int:
    """An auction won in the demo room: fan_001 bids up to ¥120, demo_viewer up to
    ¥200; demo_viewer wins at ¥125 and has the order to pay (issue 17 §4). The bids go
    through the configured bid engine, as the API's do."""
    settings = get_settings()
    with unit_of_work(database_url) as session:
        merchant = session.scalars(select(User).where(User.username == "demo_merchant")).one()
        shop = catalog.ensure_shop(session, merchant=merchant)
        sku_id = catalog.list_shop_products(session, shop_id=shop.id)[0].skus[0].id
    return seed_won_auction(
        database_url,
        room_id=room_id,
        sku_id=sku_id,
        bids=[("fan_001", 12_000), ("demo_viewer", 20_000)],
        master=MasterKey(settings.resolved_vault_master_key()),
        engine=bid_engine_for(settings.redis_url),
    )


def _paid_demo_order(session: Session, *, buyer: User, sku_id: int, key: str) -> int:
    """A wallet-paid order of one unit (the wallet topped up first), as a buyer pays."""
    order, _ = orders.place_order(
        session,
        buyer=buyer,
        body=OrderIn(items=[OrderItemIn(sku_id=sku_id, quantity=1)]),
        idempotency_key=key,
        payment_minutes=15,
    )
    if order.status is OrderStatus.PENDING_PAYMENT:
        top_up = TopUp(user_id=buyer.id, kind=TopUpKind.WALLET, amount=order.total, currency="CNY")
        session.add(top_up)
        session.flush()
        wallets.record_top_up(session, top_up=top_up, source=MethodKind.CARD)
        charges.pay_order(
            session,
            buyer=buyer,
            order_id=order.id,
            method=charges.MethodChoice(MethodKind.WALLET, None),
            idempotency_key=f"{key}-pay",
            context=payment_context(get_settings()),
        )
    return order.id


def seed_buyer_journey(database_url: str, *, room_id: int) -> tuple[int, int]:
    """demo_viewer follows demo_host (the room's go-live notice is queued for the
    followers), has a delivered scarf it reviewed (the shop replied) and a second
    one moving with the sandbox carrier. Safe to run again. (product id, moving order id)"""
    with unit_of_work(database_url) as session:
        viewer = session.scalars(select(User).where(User.username == "demo_viewer")).one()
        host = session.scalars(select(User).where(User.username == "demo_host")).one()
        merchant = session.scalars(select(User).where(User.username == "demo_merchant")).one()
        follows.follow_host(session, user=viewer, host_id=host.id)
        queue_go_live_fan_out(session, room_id=room_id)
        shop = catalog.ensure_shop(session, merchant=merchant)
        scarf = catalog.list_shop_products(session, shop_id=shop.id)[JOURNEY_SCARF]
        sku_id = scarf.skus[0].id
        delivered = _paid_demo_order(session, buyer=viewer, sku_id=sku_id, key="journey-1")
        moving = _paid_demo_order(session, buyer=viewer, sku_id=sku_id, key="journey-2")
    for order_id, number in ((delivered, "SBDEMO0001"), (moving, "SBDEMO0002")):
        with unit_of_work(database_url) as session, contextlib.suppress(LiveShopError):
            tracking.ship_with_tracking(
                session,
                actor=merchant,
                order_id=order_id,
                carrier="sandbox",
                tracking_number=number,
            )
    with unit_of_work(database_url) as session:
        parcel = tracking.shipment_by_number(
            session, carrier="sandbox", tracking_number="SBDEMO0001"
        )
        if parcel is not None:
            steps = SandboxCarrier(60).scans_due(
                tracking_number=parcel.tracking_number,
                shipped_at=parcel.created_at,
                now=parcel.created_at + timedelta(hours=1),
            )
            tracking.record_scans(session, shipment=parcel, scans=steps)
    with unit_of_work(database_url) as session, contextlib.suppress(LiveShopError):
        line = session.scalars(select(OrderItem).where(OrderItem.order_id == delivered)).one()
        review = review_service.write_review(
            session,
            buyer=session.get_one(User, viewer.id),
            order_item_id=line.id,
            body=ReviewIn(rating=5, text="羊毛很软，礼盒包装精致，送人很体面。"),
            edit_window=timedelta(hours=72),
        )
        review_service.reply_to_review(
            session,
            actor=session.get_one(User, merchant.id),
            review_id=review.id,
            text="谢谢亲的认可，欢迎再来直播间！",
        )
    return scarf.id, moving
