"""The kinds of object a route's ids name, each made fresh with its parties."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.notifications.centre import Notice, notify_users
from liveshop.notifications.models import Notification, NotificationKind
from liveshop.orders.models import OrderItem
from liveshop.payments.models import MethodKind
from liveshop.privacy.consents import Purpose
from liveshop.reviews import service as reviews
from liveshop.reviews.schemas import ReviewIn
from liveshop.tracking import service as tracking
from tests.access.rules import Subject
from tests.access.world import (
    BUYER,
    IMPOSER,
    INVITEE,
    PENALISED,
    ROOM_HOST,
    SELLER,
    STAFF,
    Made,
    World,
)


def _room(world: World) -> Made:
    """Host A's live room, with shop A's product on its shelf and pinned."""
    return Made(
        ids={"room_id": world.fresh_room(), "product_id": world.product, "user_id": world.buyer.id},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


def _scheduled_room(world: World) -> Made:
    return Made(
        ids={"room_id": world.fresh_room(started=False)},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


def _question(world: World) -> Made:
    room_id, question_id = world.fresh_question()
    return Made(
        ids={"room_id": room_id, "question_id": question_id},
        parties={ROOM_HOST: world.host, BUYER: world.buyer},
    )


def _product(world: World, *, held: bool) -> Made:
    return Made(ids={"product_id": world.fresh_product(held=held)}, parties={SELLER: world.seller})


def _order(state: str) -> Subject:
    def make(world: World) -> Made:
        return Made(
            ids={"order_id": world.fresh_order(state)},
            parties={BUYER: world.buyer, SELLER: world.seller},
        )

    return Subject(f"order ({state})", make)


def _after_sale(state: str) -> Subject:
    def make(world: World) -> Made:
        return Made(
            ids={"after_sale_id": world.fresh_after_sale(state)},
            parties={BUYER: world.buyer, SELLER: world.seller},
        )

    return Subject(f"after-sale ({state})", make)


def _payment(world: World, method: MethodKind) -> Made:
    payment_id, reference = world.fresh_payment(method=method)
    return Made(
        ids={"payment_id": payment_id, "reference": reference}, parties={BUYER: world.buyer}
    )


def _draw(world: World, *, due: bool = False, drawn: bool = False) -> Made:
    return Made(
        ids={"draw_id": world.fresh_draw(due=due, drawn=drawn)},
        parties={ROOM_HOST: world.host},
    )


def _flash_sale(world: World) -> Made:
    return Made(
        ids={"sale_id": world.fresh_flash_sale()},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


def _report(world: World, *, claimed: bool) -> Made:
    parties = {BUYER: world.buyer} | ({IMPOSER: world.imposer} if claimed else {})
    return Made(ids={"report_id": world.fresh_report(claimed=claimed)}, parties=parties)


def _held_comment(world: World) -> Made:
    return Made(ids={"comment_id": world.fresh_held_comment()}, parties={BUYER: world.buyer})


def _penalty(world: World) -> Made:
    return Made(
        ids={"penalty_id": world.fresh_penalty()},
        parties={PENALISED: world.host, IMPOSER: world.imposer},
    )


def _appeal(world: World) -> Made:
    return Made(
        ids={"appeal_id": world.fresh_appeal()},
        parties={PENALISED: world.host, IMPOSER: world.imposer},
    )


def _sku(world: World) -> Made:
    """Shop A's SKU, for a sale or a draw in host A's room (host A staffs shop A)."""
    return Made(
        ids={"sku_id": world.sku, "room_id": world.room},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


def _delivered_line(world: World) -> Made:
    """The line of buyer A's delivered order (of shop A's product)."""
    order_id = world.fresh_order("delivered")
    with world.session() as session:
        item_id = session.scalars(select(OrderItem.id).where(OrderItem.order_id == order_id)).one()
    return Made(ids={"item_id": item_id}, parties={BUYER: world.buyer, SELLER: world.seller})


def _review(world: World, *, text: str = "很好") -> Made:
    """Buyer A's review of a delivered line of shop A's product (held if ``text`` asks)."""
    made = _delivered_line(world)
    with world.session() as session:
        review = reviews.write_review(
            session,
            buyer=session.get_one(User, world.buyer.id),
            order_item_id=made.ids["item_id"],
            body=ReviewIn(rating=5, text=text),
            edit_window=timedelta(hours=1),
        )
        return Made(ids={"review_id": review.id}, parties=made.parties)


def _tracked_order(world: World) -> Made:
    """Buyer A's paid order, shipped by shop A with the sandbox carrier."""
    order_id = world.fresh_order("paid")
    with world.session() as session:
        tracking.ship_with_tracking(
            session,
            actor=session.get_one(User, world.seller.id),
            order_id=order_id,
            carrier="sandbox",
            tracking_number=f"SBWALK{world.number()}",
        )
    return Made(ids={"order_id": order_id}, parties={BUYER: world.buyer, SELLER: world.seller})


def _notification(world: World) -> Made:
    """A notice in buyer A's centre."""
    number = world.number()
    with world.session() as session:
        notify_users(
            session,
            user_ids=[world.buyer.id],
            notice=Notice(
                NotificationKind.ROOM_LIVE, f"walk:{number}", {"host": "host", "room": "walk"}
            ),
        )
        notification_id = session.scalars(
            select(Notification.id).where(Notification.dedupe_key == f"walk:{number}")
        ).one()
    return Made(ids={"notification_id": notification_id}, parties={BUYER: world.buyer})


ROOM = Subject("room (live)", _room)
SCHEDULED_ROOM = Subject("room (scheduled)", _scheduled_room)
QUESTION = Subject("question", _question)
PRODUCT = Subject("product", lambda world: _product(world, held=False))
HELD_PRODUCT = Subject("product (held for review)", lambda world: _product(world, held=True))
SHOP = Subject(
    "shop", lambda world: Made(ids={"shop_id": world.shop}, parties={SELLER: world.seller})
)
SKU = Subject("sku", _sku)
CANDIDATE = Subject(
    "user (free to act for a shop)",
    lambda world: Made(
        ids={"user_id": world.new_user(Role.HOST).id}, parties={SELLER: world.seller}
    ),
)


def _invitation(world: World) -> Made:
    invitation_id, invitee = world.fresh_invitation()
    return Made(
        ids={"invitation_id": invitation_id}, parties={SELLER: world.seller, INVITEE: invitee}
    )


def _staff_member(world: World) -> Made:
    member = world.fresh_staff_member()
    return Made(ids={"user_id": member.id}, parties={SELLER: world.seller, STAFF: member})


INVITATION = Subject("staff invitation", _invitation)
STAFF_MEMBER = Subject("user (a shop's staff)", _staff_member)
PENDING_ORDER = _order("pending")
PAID_ORDER = _order("paid")
SHIPPED_ORDER = _order("shipped")
DELIVERED_ORDER = _order("delivered")
PRIZE_ORDER = Subject(
    "order (a prize)",
    lambda world: Made(
        ids={"order_id": world.fresh_prize_order()},
        parties={BUYER: world.buyer, SELLER: world.seller},
    ),
)
ADDRESS = Subject(
    "address",
    lambda world: Made(
        ids={"address_id": world.address, "sku_id": world.sku}, parties={BUYER: world.buyer}
    ),
)
REQUESTED_AFTER_SALE = _after_sale("requested")
AWAITING_RETURN = _after_sale("awaiting_return")
RETURN_SHIPPED = _after_sale("return_shipped")
REJECTED_AFTER_SALE = _after_sale("rejected")
DISPUTED_AFTER_SALE = _after_sale("disputed")
FLASH_SALE = Subject("flash sale", _flash_sale)
OPEN_DRAW = Subject("draw (open)", _draw)
DUE_DRAW = Subject("draw (due)", lambda world: _draw(world, due=True))
DRAWN_DRAW = Subject("draw (drawn)", lambda world: _draw(world, drawn=True))
COUPON = Subject(
    "coupon",
    lambda world: Made(ids={"coupon_id": world.fresh_coupon()}, parties={SELLER: world.seller}),
)
CARD = Subject(
    "payment method",
    lambda world: Made(ids={"method_id": world.fresh_card()}, parties={BUYER: world.buyer}),
)
PAYMENT = Subject("payment (awaiting a second factor)", lambda w: _payment(w, MethodKind.WALLET))
WALLET_PAYMENT = Subject(
    "payment (awaiting a third-party wallet)", lambda w: _payment(w, MethodKind.THIRD_PARTY)
)
RED_PACKET = Subject(
    "red packet",
    lambda world: Made(
        ids={"packet_id": world.fresh_red_packet()}, parties={ROOM_HOST: world.host}
    ),
)
OPEN_REPORT = Subject("report (open)", lambda world: _report(world, claimed=False))
CLAIMED_REPORT = Subject("report (claimed)", lambda world: _report(world, claimed=True))
PENALTY = Subject("penalty", _penalty)
APPEAL = Subject("appeal", _appeal)
HELD_COMMENT = Subject("chat line (held for review)", _held_comment)


def _risk_case(world: World) -> Made:
    """Buyer A's order in shop A that the risk engine held for review."""
    from liveshop.risk.models import CaseStatus, RiskCase

    with world.session() as session:
        case = RiskCase(
            path="order",
            subject="order:1",
            user_id=world.buyer.id,
            merchant_id=world.seller.id,
            decision="review",
            score=0.9,
            reasons=["rule: review if amount > 1"],
            features={},
            event={},
            reference="walk",
            status=CaseStatus.OPEN,
        )
        session.add(case)
        session.flush()
        case_id = case.id
    return Made(ids={"case_id": case_id}, parties={BUYER: world.buyer, SELLER: world.seller})


RISK_CASE = Subject("risk review case", _risk_case)
QUALIFICATION = Subject(
    "qualification",
    lambda world: Made(
        ids={"qualification_id": world.fresh_qualification()}, parties={SELLER: world.seller}
    ),
)
INSPECTION = Subject(
    "inspection", lambda world: Made(ids={"inspection_id": world.fresh_inspection()})
)
CONSENT = Subject(
    "the caller's own consent",
    lambda world: Made(ids={"purpose": Purpose.MARKETING_MESSAGES.value}),
)
USER = Subject("user", lambda world: Made(ids={"user_id": world.new_user().id}))
DELIVERED_LINE = Subject("order line (delivered)", _delivered_line)
HOST = Subject("host", lambda w: Made(ids={"host_id": w.host.id}, parties={ROOM_HOST: w.host}))
NOTIFICATION = Subject("notification", _notification)
TRACKED_ORDER = Subject("order (shipped with a tracked parcel)", _tracked_order)
CARRIER = Subject("carrier", lambda _world: Made(ids={"carrier": "sf"}))
REVIEW = Subject("review (published)", _review)
HELD_REVIEW = Subject(
    "review (held for a moderator)", lambda w: _review(w, text="快递员说要弄死你")
)
