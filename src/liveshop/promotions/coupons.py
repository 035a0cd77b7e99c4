"""Coupons: creation, live drops grabbed in the room, and what they take off an order.

Grabbing has the flash sale's guarantee: never more claimed than issued, never
more per user than the limit (conditional updates, no check-then-act).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import require_shopper
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.risk import RiskPath, RiskRequest, refuse_unless_allowed
from liveshop.core.rooms import RoomNotice, room_facts
from liveshop.promotions import access, coupon_countdowns, coupon_experiments
from liveshop.promotions.models import Coupon, CouponHolder, CouponIssuer, CouponKind, UserCoupon
from liveshop.promotions.pricing import AppliedDiscount, PriceLine
from liveshop.promotions.schemas import CouponIn, CouponOut, WalletCouponOut


class CouponsGone(Conflict):
    code = "coupons_gone"


class CouponLimitReached(Conflict):
    status_code = 429
    code = "coupon_limit"


def create_coupon(session: Session, *, actor: User, body: CouponIn) -> Coupon:
    """Shop coupons by the shop's people, platform coupons by admins.

    A room drop (``room_id``) of a shop's coupon follows the goods rule
    (``promotions.access``): the room's host for the shop they own or staff, or
    the shop's merchant in a room whose shelf carries its product.
    """
    shop_id = _issuing_shop(session, actor=actor, body=body)
    if body.product_id is not None:
        product = catalog.get_product(session, product_id=body.product_id)
        if shop_id is not None and product.shop_id != shop_id:
            raise InvalidInput("the product belongs to another shop")
    if body.room_id is not None and shop_id is not None:
        access.require_goods_offerer(
            session,
            actor=actor,
            room=room_facts(session, body.room_id),
            shop_id=shop_id,
            product_id=body.product_id,
        )
    elif body.room_id is not None:
        room_facts(session, body.room_id)  # a platform drop: any room that exists
    if session.scalar(select(Coupon.id).where(Coupon.code == body.code)) is not None:
        raise Conflict(f"coupon code {body.code!r} exists", code="coupon_code_taken")
    coupon = Coupon(
        **body.model_dump(exclude={"platform"}),
        issuer=CouponIssuer.PLATFORM if body.platform else CouponIssuer.SHOP,
        shop_id=shop_id,
        claimed=0,
        created_by=actor.id,
    )
    session.add(coupon)
    session.flush()
    if coupon.room_id is not None:
        publish_after_commit(session, _drop_notice(coupon, line=f"优惠券来了: {coupon.name}"))
    return coupon


def _drop_notice(coupon: Coupon, line: str | None = None) -> RoomNotice:
    assert coupon.room_id is not None  # only room drops
    return RoomNotice(
        room_id=coupon.room_id,
        topic=f"coupon:{coupon.id}",
        payload=coupon_out(coupon).model_dump(mode="json"),
        line=line,
        line_kind="announcement",
    )


def _issuing_shop(session: Session, *, actor: User, body: CouponIn) -> int | None:
    if body.platform:
        access.require_platform_coupon_issuer(actor)
        return None
    shop = catalog.shop_of(session, user=actor)
    if shop is None:
        raise PermissionDenied("shop coupons are issued by a shop's merchants", code="no_shop")
    return shop.id


def get_coupon(session: Session, *, coupon_id: int) -> Coupon:
    coupon = session.get(Coupon, coupon_id)
    if coupon is None:
        raise NotFound(f"coupon {coupon_id} not found", code="coupon_not_found")
    return coupon


def coupon_out(coupon: Coupon) -> CouponOut:
    return CouponOut(
        id=coupon.id,
        code=coupon.code,
        name=coupon.name,
        issuer=coupon.issuer,
        shop_id=coupon.shop_id,
        product_id=coupon.product_id,
        room_id=coupon.room_id,
        kind=coupon.kind,
        threshold=coupon.threshold,
        amount=coupon.amount,
        percent=coupon.percent,
        cap=coupon.cap,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        total_quantity=coupon.total_quantity,
        claimed=coupon.claimed,
        remaining=coupon.total_quantity - coupon.claimed,
        per_user_limit=coupon.per_user_limit,
        experiment=coupon.experiment_id is not None,
        countdown=coupon.countdown_experiment_id is not None,
    )


def offer(session: Session, *, user: User, coupon_id: int) -> CouponOut:
    """The coupon as this viewer is offered it: at their variant's depth when its depth
    is tested, with their time to grab it when its countdown is (the viewer sees it now:
    each experiment's exposure)."""
    require_shopper(user)
    coupon = get_coupon(session, coupon_id=coupon_id)
    depth = coupon_experiments.depth_for(session, coupon=coupon, user_id=user.id)
    window = coupon_countdowns.window_for(session, coupon=coupon, user_id=user.id)
    offered = coupon_experiments.at_depth(coupon_out(coupon), depth)
    return offered.model_copy(update={"offer_ends_at": window})


def grab_coupon(session: Session, *, user: User, coupon_id: int) -> UserCoupon:
    """Claim one coupon into the user's wallet (a live drop, or a public coupon)."""
    require_shopper(user)
    coupon = get_coupon(session, coupon_id=coupon_id)
    now = utcnow()
    if not coupon.starts_at <= now < coupon.ends_at:
        raise Conflict("this coupon is not valid now", code="coupon_not_valid_now")
    host = room_facts(session, coupon.room_id).host_id if coupon.room_id is not None else None
    refuse_unless_allowed(
        RiskRequest(
            path=RiskPath.COUPON_GRAB,
            user_id=user.id,
            account_created_at=as_utc(user.created_at),
            at=now,
            merchant_id=host,
            room_id=coupon.room_id,
            subject=f"coupon:{coupon.id}",
        ),
        session=session,
    )  # farms of accounts on a few devices
    coupon_countdowns.require_window_open(session, coupon=coupon, user_id=user.id)
    _ensure_holder(session, coupon_id=coupon.id, user_id=user.id)
    within_limit = rows_changed(
        session.execute(
            update(CouponHolder)
            .where(
                CouponHolder.coupon_id == coupon.id,
                CouponHolder.user_id == user.id,
                CouponHolder.claimed < coupon.per_user_limit,
            )
            .values(claimed=CouponHolder.claimed + 1)
        )
    )
    if within_limit != 1:
        raise CouponLimitReached(f"at most {coupon.per_user_limit} of this coupon per person")
    taken = rows_changed(
        session.execute(
            update(Coupon)
            .where(Coupon.id == coupon.id, Coupon.claimed < Coupon.total_quantity)
            .values(claimed=Coupon.claimed + 1)
        )
    )
    if taken != 1:
        raise CouponsGone("all of these coupons were taken")
    depth = coupon_experiments.depth_for(session, coupon=coupon, user_id=user.id)
    wallet_coupon = UserCoupon(coupon_id=coupon.id, user_id=user.id, depth=depth)
    session.add(wallet_coupon)
    session.flush()
    session.refresh(coupon)
    if coupon.room_id is not None:
        publish_after_commit(session, _drop_notice(coupon))
    return wallet_coupon


def _ensure_holder(session: Session, *, coupon_id: int, user_id: int) -> None:
    values = {"coupon_id": coupon_id, "user_id": user_id, "claimed": 0}
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(CouponHolder).values(**values).on_conflict_do_nothing())


def claimed_by(session: Session, *, coupon_id: int, user_id: int) -> int:
    """How many of this coupon the user has claimed (against its per-user limit)."""
    claimed = session.scalar(
        select(CouponHolder.claimed).where(
            CouponHolder.coupon_id == coupon_id, CouponHolder.user_id == user_id
        )
    )
    return int(claimed or 0)


def wallet(session: Session, *, user: User) -> list[WalletCouponOut]:
    rows = session.execute(
        select(UserCoupon, Coupon)
        .join(Coupon, Coupon.id == UserCoupon.coupon_id)
        .where(UserCoupon.user_id == user.id)
        .order_by(UserCoupon.id.desc())
    ).tuples()
    return [
        WalletCouponOut(
            id=held.id,
            coupon=coupon_experiments.at_depth(coupon_out(coupon), held.depth),
            order_id=held.order_id,
            claimed_at=held.claimed_at,
        )
        for held, coupon in rows
    ]


def room_drops(session: Session, *, room_id: int) -> list[CouponOut]:
    coupons = session.scalars(
        select(Coupon).where(Coupon.room_id == room_id).order_by(Coupon.id.desc())
    ).all()
    return [coupon_out(coupon) for coupon in coupons]


@dataclass(frozen=True)
class CouponUse:
    discount: AppliedDiscount
    wallet_coupon: UserCoupon


def discounts_for(
    session: Session,
    *,
    buyer: User,
    codes: Sequence[str],
    lines: Sequence[PriceLine],
    shop_id: int,
) -> list[CouponUse]:
    """The buyer's coupons for these codes, checked and priced (not yet attached).

    At most one shop coupon and one platform coupon; a code the buyer does
    not hold yet is claimed now, unless it is a room drop (those are grabbed live).
    """
    chosen = [_by_code(session, code) for code in dict.fromkeys(codes)]
    issuers = [coupon.issuer for coupon in chosen]
    if len(issuers) != len(set(issuers)):
        raise InvalidInput(
            "at most one shop coupon and one platform coupon per order", code="coupon_stacking"
        )
    uses: list[CouponUse] = []
    for coupon in chosen:
        if coupon.issuer is CouponIssuer.SHOP and coupon.shop_id != shop_id:
            raise InvalidInput(
                f"coupon {coupon.code!r} is for another shop", code="coupon_not_applicable"
            )
        held = _wallet_coupon(session, buyer, coupon)
        amount = discount_amount(coupon, lines, depth=held.depth)
        if amount <= 0:
            raise InvalidInput(
                f"coupon {coupon.code!r} does not apply to this order",
                code="coupon_not_applicable",
            )
        uses.append(CouponUse(_discount(coupon, amount), held))
    return uses


def _by_code(session: Session, code: str) -> Coupon:
    coupon = session.scalars(select(Coupon).where(Coupon.code == code)).first()
    if coupon is None:
        raise InvalidInput(f"no coupon with code {code!r}", code="coupon_not_found")
    return coupon


def _discount(coupon: Coupon, amount: int) -> AppliedDiscount:
    return AppliedDiscount(
        code=coupon.code,
        label=coupon.name,
        amount=amount,
        product_ids=[coupon.product_id] if coupon.product_id is not None else None,
    )


def _wallet_coupon(session: Session, buyer: User, coupon: Coupon) -> UserCoupon:
    held = session.scalars(
        select(UserCoupon)
        .where(
            UserCoupon.user_id == buyer.id,
            UserCoupon.coupon_id == coupon.id,
            UserCoupon.order_id.is_(None),
        )
        .limit(1)
    ).first()
    if held is not None:
        now = utcnow()
        if not coupon.starts_at <= now < coupon.ends_at:
            raise InvalidInput("this coupon is not valid now", code="coupon_not_valid_now")
        return held
    if coupon.room_id is not None:
        raise InvalidInput("grab this coupon in the live room first", code="coupon_not_held")
    return grab_coupon(session, user=buyer, coupon_id=coupon.id)


def discount_amount(coupon: Coupon, lines: Sequence[PriceLine], *, depth: int | None = None) -> int:
    """What the coupon takes off the lines it covers (0: it does not apply); ``depth``
    replaces its amount (or percent) for a coupon held at a tested variant's depth."""
    eligible = sum(
        line.subtotal
        for line in lines
        if coupon.product_id is None or line.product_id == coupon.product_id
    )
    if coupon.kind is CouponKind.PERCENT:
        off = eligible * (coupon.percent if depth is None else depth) // 100
        return min(off, coupon.cap) if coupon.cap else off
    amount = coupon.amount if depth is None else depth
    if coupon.kind is CouponKind.THRESHOLD:
        return min(amount, eligible) if eligible >= coupon.threshold else 0
    return min(amount, eligible)


def attach_to_order(session: Session, *, uses: Sequence[CouponUse], order_id: int) -> None:
    for use in uses:
        attached = rows_changed(
            session.execute(
                update(UserCoupon)
                .where(UserCoupon.id == use.wallet_coupon.id, UserCoupon.order_id.is_(None))
                .values(order_id=order_id)
            )
        )
        if attached != 1:
            raise Conflict("this coupon was just used by another order", code="coupon_in_use")


def release_for_order(session: Session, *, order_id: int) -> None:
    """A cancelled order gives its coupons back to the wallet."""
    session.execute(update(UserCoupon).where(UserCoupon.order_id == order_id).values(order_id=None))


def issuers_of(session: Session, *, codes: Sequence[str]) -> dict[str, CouponIssuer]:
    """Who funds each coupon code (payments books platform coupons as a subsidy)."""
    if not codes:
        return {}
    rows = session.execute(
        select(Coupon.code, Coupon.issuer).where(Coupon.code.in_(list(codes)))
    ).tuples()
    return {code: issuer for code, issuer in rows}


def current_drop_notices(session: Session, room_id: int) -> list[RoomNotice]:
    """The room's coupon drops still valid, as their room notices (for snapshots)."""
    drops = session.scalars(
        select(Coupon).where(Coupon.room_id == room_id, Coupon.ends_at > utcnow())
    ).all()
    return [_drop_notice(coupon) for coupon in drops]
