"""A/B tests of a coupon's depth: each variant of an experiment gives its own discount.

The merchant who owns the coupon's shop attaches one of the shop's experiments
(``campaigns`` owns them; promotions reaches them through ``core.experiments``)
with a depth per variant: the amount off in minor units, or a percent coupon's
percent. The coupon's own face is the deepest it may go (what the shop funds), so
a variant's depth lies between 1 and it. A viewer's depth is fixed by their sticky
variant when they are shown the offer (``GET /api/coupons/{id}/offer``, the room's
coupon card) or grab it; that moment is the experiment's exposure, so its results
compare conversion and GMV per viewer between depths. A grabbed coupon keeps its
depth in the wallet (``UserCoupon.depth``) whatever the experiment does later.
Until a viewer has been shown a variant of the attached experiment, the merchant may
change the depths, swap the experiment or detach it; after, it stays as it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_shop_owner
from liveshop.catalog.shops import owned_shop
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.experiments import (
    experiment_facts,
    exposed_variant,
    require_unexposed,
    shop_experiment,
)
from liveshop.promotions.models import Coupon, CouponKind
from liveshop.promotions.schemas import CouponExperimentIn, CouponExperimentOut, CouponOut


def attach_experiment(
    session: Session, *, actor: User, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    """Vary ``coupon``'s depth by ``body.experiment_id``'s variants (the shop's merchant only)."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    if coupon.experiment_id is not None:
        raise Conflict("this coupon is already in an experiment", code="coupon_in_experiment")
    return _set_experiment(session, coupon=coupon, body=body)


def change_experiment(
    session: Session, *, actor: User, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    """Attach, or replace the attached experiment or its depths, while no viewer has been
    shown a variant of the one attached (409 ``experiment_exposed`` after)."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    session.refresh(coupon, with_for_update=True)  # one change at a time
    _require_unexposed(session, coupon)
    return _set_experiment(session, coupon=coupon, body=body)


def detach_experiment(session: Session, *, actor: User, coupon: Coupon) -> None:
    """Back to one depth for everyone, while no viewer has been shown a variant."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    session.refresh(coupon, with_for_update=True)
    if coupon.experiment_id is None:
        raise NotFound("this coupon is in no experiment", code="coupon_not_in_experiment")
    _require_unexposed(session, coupon)
    coupon.experiment_id = None
    coupon.experiment_depths = None
    session.flush()


def attached_experiment(session: Session, *, actor: User, coupon: Coupon) -> CouponExperimentOut:
    """What the merchant attached (404 ``coupon_not_in_experiment`` when nothing)."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    if coupon.experiment_id is None or not coupon.experiment_depths:
        raise NotFound("this coupon is in no experiment", code="coupon_not_in_experiment")
    facts = experiment_facts(session, coupon.experiment_id)
    return CouponExperimentOut(
        coupon_id=coupon.id,
        experiment_id=facts.id,
        depths=coupon.experiment_depths,
        exposed=facts.has_exposures,
    )


def can_test_coupons(session: Session, *, actor: User, shop_id: int | None) -> bool:
    """Whether ``actor`` attaches and changes experiments on ``shop_id``'s coupons."""
    shop = owned_shop(session, user=actor)
    return shop is not None and shop_id == shop.id


def testable_coupons(session: Session, *, actor: User, shop_id: int | None) -> list[Coupon]:
    """The shop's coupons a test may still be attached to (none grabbed, not ended), for
    the experiment page's picker: the merchant picks by name, never by typing a number."""
    if not can_test_coupons(session, actor=actor, shop_id=shop_id):
        return []
    return list(
        session.scalars(
            select(Coupon)
            .where(Coupon.shop_id == shop_id, Coupon.claimed == 0, Coupon.ends_at > utcnow())
            .order_by(Coupon.id.desc())
            .limit(200)
        )
    )


def require_coupon_merchant(session: Session, *, actor: User, coupon: Coupon) -> None:
    if coupon.shop_id is None:
        raise PermissionDenied("only a shop's coupons are tested", code="not_your_shop")
    if require_shop_owner(session, actor=actor).id != coupon.shop_id:
        raise PermissionDenied("this coupon belongs to another shop", code="not_your_shop")


def _require_unexposed(session: Session, coupon: Coupon) -> None:
    require_unexposed(
        session,
        coupon.experiment_id,
        why=(
            "viewers have been offered this coupon at their variant's depth: the experiment "
            "stays attached as it is (to test other depths, drop a new coupon)"
        ),
    )


def _set_experiment(
    session: Session, *, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    facts = shop_experiment(session, body.experiment_id, shop_id=coupon.shop_id)
    if coupon.claimed > 0 or coupon.ends_at <= utcnow():
        raise Conflict(
            "a coupon is tested from its first grab: this one was grabbed or has ended",
            code="coupon_already_offered",
        )
    if set(body.depths) != set(facts.variants):
        raise InvalidInput(
            f"give a depth for each variant: {', '.join(facts.variants)}", code="depths_variants"
        )
    deepest = face_depth(coupon)
    for variant, depth in body.depths.items():
        if not 1 <= depth <= deepest:
            raise InvalidInput(
                f"variant {variant!r}: the depth must be between 1 and the coupon's {deepest}",
                code="depth_out_of_range",
            )
    coupon.experiment_id = facts.id
    coupon.experiment_depths = {variant: body.depths[variant] for variant in facts.variants}
    session.flush()
    return CouponExperimentOut(
        coupon_id=coupon.id,
        experiment_id=facts.id,
        depths=coupon.experiment_depths,
        exposed=facts.has_exposures,
    )


def face_depth(coupon: Coupon) -> int:
    """The coupon's own depth: its percent for a percent coupon, else its amount."""
    return coupon.percent if coupon.kind is CouponKind.PERCENT else coupon.amount


def depth_for(session: Session, *, coupon: Coupon, user_id: int) -> int | None:
    """The user's depth of a tested coupon (the exposure logged); None: not tested."""
    if coupon.experiment_id is None or not coupon.experiment_depths:
        return None
    variant = exposed_variant(session, experiment_id=coupon.experiment_id, user_id=user_id)
    return coupon.experiment_depths.get(variant, face_depth(coupon))


def at_depth(offer: CouponOut, depth: int | None) -> CouponOut:
    """The coupon as one viewer holds it: its face replaced by their depth."""
    if depth is None:
        return offer
    field = "percent" if offer.kind is CouponKind.PERCENT else "amount"
    return offer.model_copy(update={field: depth})


def coupons_testing(session: Session, *, experiment_id: int) -> list[Coupon]:
    """The coupons whose depth ``experiment_id`` varies, newest first."""
    query = select(Coupon).where(Coupon.experiment_id == experiment_id).order_by(Coupon.id.desc())
    return list(session.scalars(query))
