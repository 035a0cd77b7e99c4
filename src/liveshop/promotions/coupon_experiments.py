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
from liveshop.catalog.shops import owned_shop
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.promotions.coupon_variations import (
    AttachedVariation,
    CouponVariation,
    attached_variation,
    change_variation,
    coupons_varied_by,
    detach_variation,
    require_coupon_merchant,
    set_variation,
    viewer_value,
)
from liveshop.promotions.models import Coupon, CouponKind
from liveshop.promotions.schemas import CouponExperimentIn, CouponExperimentOut, CouponOut


def face_depth(coupon: Coupon) -> int:
    """The coupon's own depth: its percent for a percent coupon, else its amount."""
    return coupon.percent if coupon.kind is CouponKind.PERCENT else coupon.amount


def _check_depth(coupon: Coupon, variant: str, depth: int) -> None:
    deepest = face_depth(coupon)
    if not 1 <= depth <= deepest:
        raise InvalidInput(
            f"variant {variant!r}: the depth must be between 1 and the coupon's {deepest}",
            code="depth_out_of_range",
        )


DEPTH = CouponVariation(
    experiment_column="experiment_id",
    values_column="experiment_depths",
    value_name="depth",
    variants_code="depths_variants",
    untested=NotFound("this coupon is in no experiment", code="coupon_not_in_experiment"),
    exposed_why=(
        "viewers have been offered this coupon at their variant's depth: the experiment "
        "stays attached as it is (to test other depths, drop a new coupon)"
    ),
    check_value=_check_depth,
)


def attach_experiment(
    session: Session, *, actor: User, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    """Vary ``coupon``'s depth by ``body.experiment_id``'s variants (the shop's merchant only)."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    if coupon.experiment_id is not None:
        raise Conflict("this coupon is already in an experiment", code="coupon_in_experiment")
    attached = set_variation(
        session, DEPTH, coupon=coupon, experiment_id=body.experiment_id, values=body.depths
    )
    return _out(coupon, attached)


def change_experiment(
    session: Session, *, actor: User, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    """Attach, or replace the attached experiment or its depths, while no viewer has been
    shown a variant of the one attached (409 ``experiment_exposed`` after)."""
    attached = change_variation(
        session,
        DEPTH,
        actor=actor,
        coupon=coupon,
        experiment_id=body.experiment_id,
        values=body.depths,
    )
    return _out(coupon, attached)


def detach_experiment(session: Session, *, actor: User, coupon: Coupon) -> None:
    """Back to one depth for everyone, while no viewer has been shown a variant."""
    detach_variation(session, DEPTH, actor=actor, coupon=coupon)


def attached_experiment(session: Session, *, actor: User, coupon: Coupon) -> CouponExperimentOut:
    """What the merchant attached (404 ``coupon_not_in_experiment`` when nothing)."""
    return _out(coupon, attached_variation(session, DEPTH, actor=actor, coupon=coupon))


def _out(coupon: Coupon, attached: AttachedVariation) -> CouponExperimentOut:
    return CouponExperimentOut(
        coupon_id=coupon.id,
        experiment_id=attached.experiment.id,
        depths=attached.values,
        exposed=attached.experiment.has_exposures,
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


def depth_for(session: Session, *, coupon: Coupon, user_id: int) -> int | None:
    """The user's depth of a tested coupon (the exposure logged); None: not tested."""
    return viewer_value(session, DEPTH, coupon=coupon, user_id=user_id, default=face_depth(coupon))


def at_depth(offer: CouponOut, depth: int | None) -> CouponOut:
    """The coupon as one viewer holds it: its face replaced by their depth."""
    if depth is None:
        return offer
    field = "percent" if offer.kind is CouponKind.PERCENT else "amount"
    return offer.model_copy(update={field: depth})


def coupons_testing(session: Session, *, experiment_id: int) -> list[Coupon]:
    """The coupons whose depth ``experiment_id`` varies, newest first."""
    return coupons_varied_by(session, DEPTH, experiment_id=experiment_id)
