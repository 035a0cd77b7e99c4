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
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_shop_owner
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.experiments import experiment_facts, exposed_variant
from liveshop.promotions.models import Coupon, CouponKind
from liveshop.promotions.schemas import CouponExperimentIn, CouponExperimentOut, CouponOut


def attach_experiment(
    session: Session, *, actor: User, coupon: Coupon, body: CouponExperimentIn
) -> CouponExperimentOut:
    """Vary ``coupon``'s depth by ``body.experiment_id``'s variants (the shop's merchant only)."""
    if coupon.shop_id is None:
        raise PermissionDenied("only a shop's coupons are tested", code="not_your_shop")
    if require_shop_owner(session, actor=actor).id != coupon.shop_id:
        raise PermissionDenied("this coupon belongs to another shop", code="not_your_shop")
    try:
        facts = experiment_facts(session, body.experiment_id)
    except NotFound:
        facts = None
    if facts is None or facts.shop_id != coupon.shop_id:  # another shop's: as if absent
        raise NotFound(f"experiment {body.experiment_id} not found", code="experiment_not_found")
    if coupon.experiment_id is not None:
        raise Conflict("this coupon is already in an experiment", code="coupon_in_experiment")
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
        coupon_id=coupon.id, experiment_id=facts.id, depths=coupon.experiment_depths
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
