"""Lucky draws (福袋), provably fair.

Before a draw opens, the room shows ``commitment = SHA-256(seed)``. At the
deadline the seed is revealed with the sorted list of entrants, and the
winners are::

    ticket(user_id) = SHA-256("{seed}:{draw_id}:{user_id}") as hex
    winners = the ``winners_count`` entrants with the smallest tickets, in ticket order

Anyone can recompute both from the published data (``liveshop draws verify``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import require_shopper
from liveshop.catalog.models import Product
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.rooms import RoomFacts, RoomNotice, room_facts, says
from liveshop.live import service as live
from liveshop.orders import access
from liveshop.orders import service as orders
from liveshop.orders.models import (
    DrawEntry,
    DrawStatus,
    LuckyDraw,
    Order,
    OrderOrigin,
    OrderStatus,
)
from liveshop.orders.schemas import (
    DrawIn,
    DrawOut,
    DrawTasks,
    DrawVerification,
    OrderIn,
    OrderItemIn,
)
from liveshop.privacy.masking import mask_username
from liveshop.promotions import access as promotions_access
from liveshop.promotions import coupons

ALGORITHM = (
    'winners = the winners_count entrants with the smallest SHA-256("{seed}:{draw_id}:{user_id}")'
)


def ticket(seed: str, draw_id: int, user_id: int) -> str:
    return hashlib.sha256(f"{seed}:{draw_id}:{user_id}".encode()).hexdigest()


def pick_winners(seed: str, draw_id: int, entrants: Sequence[int], count: int) -> list[int]:
    return sorted(entrants, key=lambda user_id: ticket(seed, draw_id, user_id))[:count]


def create_draw(session: Session, *, actor: User, body: DrawIn) -> LuckyDraw:
    """The room's host (or an admin) opens a draw whose prize the room may give away
    (``promotions.access``: the host's own shop's, or a shop's they staff)."""
    room = room_facts(session, body.room_id)
    promotions_access.require_room_promotions_manager(actor, room=room)
    if body.deadline <= utcnow():
        raise InvalidInput("the deadline must be in the future")
    _check_prize(session, actor=actor, room=room, body=body)
    seed = secrets.token_hex(32)
    draw = LuckyDraw(
        room_id=room.id,
        created_by=actor.id,
        title=body.title,
        prize_sku_id=body.prize_sku_id,
        prize_coupon_id=body.prize_coupon_id,
        winners_count=body.winners_count,
        tasks=body.tasks.model_dump(),
        commitment=hashlib.sha256(seed.encode()).hexdigest(),
        seed=seed,
        status=DrawStatus.OPEN,
        deadline=body.deadline,
        claim_hours=body.claim_hours,
    )
    session.add(draw)
    session.flush()
    line, opened = f"福袋开启: {draw.title}", says("draw_opened", title=draw.title)
    publish_after_commit(session, _notice(session, draw, line=line, said=opened))
    return draw


def _check_prize(session: Session, *, actor: User, room: RoomFacts, body: DrawIn) -> None:
    if body.prize_sku_id is not None:
        sku = catalog.get_sku(session, sku_id=body.prize_sku_id)
        product = session.get_one(Product, sku.product_id)
        promotions_access.require_goods_offerer(
            session, actor=actor, room=room, shop_id=product.shop_id, product_id=product.id
        )
    if body.prize_coupon_id is not None:
        coupon = coupons.get_coupon(session, coupon_id=body.prize_coupon_id)
        promotions_access.require_prize_coupon(session, actor=actor, room=room, coupon=coupon)


def _notice(session: Session, draw: LuckyDraw, line: str, said: dict[str, Any]) -> RoomNotice:
    return RoomNotice(
        room_id=draw.room_id,
        topic=f"draw:{draw.id}",
        payload=draw_out(session, draw).model_dump(mode="json"),
        line=line,
        line_kind="announcement",
        says=said,
    )


def get_draw(session: Session, *, draw_id: int) -> LuckyDraw:
    draw = session.get(LuckyDraw, draw_id)
    if draw is None:
        raise NotFound(f"lucky draw {draw_id} not found", code="draw_not_found")
    return draw


def entrants(session: Session, *, draw_id: int) -> list[int]:
    return list(
        session.scalars(
            select(DrawEntry.user_id)
            .where(DrawEntry.draw_id == draw_id)
            .order_by(DrawEntry.user_id)
        ).all()
    )


def draw_out(session: Session, draw: LuckyDraw) -> DrawOut:
    drawn = draw.status is DrawStatus.DRAWN
    return DrawOut(
        id=draw.id,
        room_id=draw.room_id,
        title=draw.title,
        prize_sku_id=draw.prize_sku_id,
        prize_coupon_id=draw.prize_coupon_id,
        winners_count=draw.winners_count,
        tasks=DrawTasks.model_validate(draw.tasks),
        commitment=draw.commitment,
        seed=draw.seed if drawn else None,
        status=draw.status.value,
        deadline=draw.deadline,
        entries=entrants(session, draw_id=draw.id) if drawn else None,
        winners=draw.winners,
        winner_names=_masked_names(session, draw.winners or []),
        algorithm=ALGORITHM,
    )


def _masked_names(session: Session, user_ids: list[int]) -> list[str]:
    """The winners in draw order, masked as every buyer shown to other viewers is."""
    if not user_ids:
        return []
    found = select(User.id, User.public_name).where(User.id.in_(user_ids))
    names = {user_id: name for user_id, name in session.execute(found).tuples()}
    return [mask_username(names[user_id]) for user_id in user_ids if user_id in names]


def missing_tasks(
    session: Session, *, draw: LuckyDraw, user: User, watched_seconds: float
) -> list[str]:
    """The entry tasks the viewer has not done yet (empty: may enter)."""
    tasks = DrawTasks.model_validate(draw.tasks)
    missing = []
    if tasks.comment_keyword and not live.has_commented(
        session,
        room_id=draw.room_id,
        user_id=user.id,
        containing=tasks.comment_keyword,
        since=draw.opens_at,
    ):
        missing.append(f"comment {tasks.comment_keyword!r} in the room")
    if tasks.watch_minutes and watched_seconds < tasks.watch_minutes * 60:
        missing.append(f"watch the room for {tasks.watch_minutes} minutes")
    if tasks.follow_shop_id and not catalog.follows_shop(
        session, user_id=user.id, shop_id=tasks.follow_shop_id
    ):
        missing.append("follow the shop")
    if tasks.bought_in_room and not _bought_in_room(session, user_id=user.id, room_id=draw.room_id):
        missing.append("buy something in this room")
    return missing


def _bought_in_room(session: Session, *, user_id: int, room_id: int) -> bool:
    paid = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
    return (
        session.scalar(
            select(Order.id)
            .where(Order.buyer_id == user_id, Order.room_id == room_id, Order.status.in_(paid))
            .limit(1)
        )
        is not None
    )


def enter_draw(session: Session, *, user: User, draw_id: int, watched_seconds: float) -> None:
    require_shopper(user)
    draw = get_draw(session, draw_id=draw_id)
    if draw.status is not DrawStatus.OPEN or utcnow() >= draw.deadline:
        raise Conflict("this lucky draw is closed", code="draw_closed")
    missing = missing_tasks(session, draw=draw, user=user, watched_seconds=watched_seconds)
    if missing:
        raise Conflict("to enter, first: " + "; ".join(missing), code="draw_tasks_missing")
    try:
        with session.begin_nested():
            session.add(DrawEntry(draw_id=draw.id, user_id=user.id))
            session.flush()
    except IntegrityError as error:
        raise Conflict("you already entered this draw", code="already_entered") from error


def run_draw(session: Session, *, draw_id: int, actor: User | None = None) -> LuckyDraw:
    """Reveal the seed, pick the winners and give them their prizes (once, after the
    deadline: the draw is marked drawn by one conditional UPDATE, and only the
    transaction that did it gives the prizes)."""
    draw = get_draw(session, draw_id=draw_id)
    if actor is not None:
        room = room_facts(session, draw.room_id)
        promotions_access.require_room_promotions_manager(actor, room=room)
    if draw.status is DrawStatus.DRAWN:
        return draw
    if utcnow() < draw.deadline:
        raise Conflict("the draw happens at its deadline", code="draw_not_due")
    winners = pick_winners(
        draw.seed, draw.id, entrants(session, draw_id=draw.id), draw.winners_count
    )
    drawn = session.execute(
        update(LuckyDraw)
        .where(LuckyDraw.id == draw.id, LuckyDraw.status == DrawStatus.OPEN)
        .values(status=DrawStatus.DRAWN, winners=winners, drawn_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(draw)
    if rows_changed(drawn) != 1:
        return draw  # drawn meanwhile, by the job or the host
    assert draw.winners is not None  # just set
    for winner in draw.winners:
        _give_prize(session, draw=draw, user=session.get_one(User, winner))
    line = f"福袋开奖: {draw.title}, {len(draw.winners)} 位中奖"
    drawn_says = says("draw_drawn", title=draw.title, winners=len(draw.winners))
    publish_after_commit(session, _notice(session, draw, line=line, said=drawn_says))
    return draw


def _give_prize(session: Session, *, draw: LuckyDraw, user: User) -> None:
    if draw.prize_coupon_id is not None:
        coupons.grab_coupon(session, user=user, coupon_id=draw.prize_coupon_id)
        return
    assert draw.prize_sku_id is not None  # one prize kind, checked at creation
    orders.place_order(
        session,
        buyer=user,
        body=OrderIn(
            items=[OrderItemIn(sku_id=draw.prize_sku_id, quantity=1)], room_id=draw.room_id
        ),
        # Placed once (run_draw); the key only has to be one the buyer holds no
        # order under, whatever keys they chose for their own orders.
        idempotency_key=f"lucky-draw:{draw.id}:{secrets.token_hex(16)}",
        payment_minutes=draw.claim_hours * 60,
        origin=OrderOrigin.LUCKY_DRAW,
        unit_price_override=0,
    )


def claim_prize(session: Session, *, user: User, order_id: int) -> Order:
    """A winner confirms the prize order the draw made (price 0) before its claim
    deadline; it is paid with nothing to pay, and no money moves (the ledger has
    nothing to book). Any other order is refused, whatever its key."""
    order = orders.order_for(session, user=user, order_id=order_id)
    access.require_prize_claimant(user, order=order)
    return orders.mark_paid(session, order_id=order.id, payment_ref=f"prize:{order.id}")


def due_draws(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(LuckyDraw.id).where(
                LuckyDraw.status == DrawStatus.OPEN, LuckyDraw.deadline <= utcnow()
            )
        ).all()
    )


def verify(published: DrawOut) -> DrawVerification:
    """Recompute the winners from a draw's published data alone."""
    if published.seed is None or published.entries is None or published.winners is None:
        raise Conflict("the draw has not happened yet", code="draw_not_due")
    recomputed = pick_winners(
        published.seed, published.id, published.entries, published.winners_count
    )
    return DrawVerification(
        draw_id=published.id,
        commitment_matches=hashlib.sha256(published.seed.encode()).hexdigest()
        == published.commitment,
        winners_match=recomputed == published.winners,
        recomputed_winners=recomputed,
        published_winners=published.winners,
    )


def room_draws(session: Session, *, room_id: int) -> list[LuckyDraw]:
    return list(
        session.scalars(
            select(LuckyDraw).where(LuckyDraw.room_id == room_id).order_by(LuckyDraw.id.desc())
        ).all()
    )


def current_draw_notices(session: Session, room_id: int) -> list[RoomNotice]:
    """The room's draws of the last day, as their room notices (for snapshots)."""
    recent = session.scalars(
        select(LuckyDraw).where(
            LuckyDraw.room_id == room_id, LuckyDraw.deadline > utcnow() - timedelta(days=1)
        )
    ).all()
    return [
        RoomNotice(
            room_id=draw.room_id,
            topic=f"draw:{draw.id}",
            payload=draw_out(session, draw).model_dump(mode="json"),
        )
        for draw in recent
    ]
