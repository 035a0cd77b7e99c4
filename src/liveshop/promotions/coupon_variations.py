"""What a coupon's A/B tests share: one experiment varies one setting per variant.

A coupon's depth (``coupon_experiments.py``) and its countdown (``coupon_countdowns.py``)
are each a :class:`CouponVariation`: the coupon's column naming the attached experiment,
the column holding each variant's value, and the rule a value must keep. Attaching,
changing, detaching and reading follow one life: only the shop's merchant, from before
the first grab, and only while no viewer has been shown a variant (after that, what
viewers saw may no longer change: 409 ``experiment_exposed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_shop_owner
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.core.experiments import (
    ExperimentFacts,
    experiment_facts,
    exposed_variant,
    require_unexposed,
    shop_experiment,
)
from liveshop.promotions.models import Coupon

# (coupon, variant, value) -> None, or raises InvalidInput for a value out of range.
ValueCheck = Callable[[Coupon, str, int], None]


@dataclass(frozen=True)
class CouponVariation:
    """One coupon setting an experiment varies per variant."""

    experiment_column: str  # the Coupon attribute naming the attached experiment
    values_column: str  # the Coupon attribute holding {variant: value}
    value_name: str  # what a value is, in refusals: "depth", "length"
    variants_code: str  # the refusal's code when the values miss or add a variant
    untested: NotFound  # what reading or detaching an untested coupon answers
    exposed_why: str  # why an exposed experiment stays attached
    check_value: ValueCheck

    def experiment_id(self, coupon: Coupon) -> int | None:
        experiment_id: int | None = getattr(coupon, self.experiment_column)
        return experiment_id

    def values(self, coupon: Coupon) -> dict[str, int] | None:
        values: dict[str, int] | None = getattr(coupon, self.values_column)
        return values


@dataclass(frozen=True)
class AttachedVariation:
    experiment: ExperimentFacts
    values: dict[str, int]


def require_coupon_merchant(session: Session, *, actor: User, coupon: Coupon) -> None:
    if coupon.shop_id is None:
        raise PermissionDenied("only a shop's coupons are tested", code="not_your_shop")
    if require_shop_owner(session, actor=actor).id != coupon.shop_id:
        raise PermissionDenied("this coupon belongs to another shop", code="not_your_shop")


def change_variation(
    session: Session,
    variation: CouponVariation,
    *,
    actor: User,
    coupon: Coupon,
    experiment_id: int,
    values: dict[str, int],
) -> AttachedVariation:
    """Attach, or replace the experiment or its values, while no viewer has been shown a
    variant of the one attached."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    session.refresh(coupon, with_for_update=True)  # one change at a time
    _require_unexposed(session, variation, coupon)
    return set_variation(
        session, variation, coupon=coupon, experiment_id=experiment_id, values=values
    )


def set_variation(
    session: Session,
    variation: CouponVariation,
    *,
    coupon: Coupon,
    experiment_id: int,
    values: dict[str, int],
) -> AttachedVariation:
    """Attach ``experiment_id`` with a value per variant (the caller checked who acts)."""
    facts = shop_experiment(session, experiment_id, shop_id=coupon.shop_id)
    if coupon.claimed > 0 or coupon.ends_at <= utcnow():
        raise Conflict(
            "a coupon is tested from its first grab: this one was grabbed or has ended",
            code="coupon_already_offered",
        )
    name = variation.value_name
    if set(values) != set(facts.variants):
        raise InvalidInput(
            f"give a {name} for each variant: {', '.join(facts.variants)}",
            code=variation.variants_code,
        )
    for variant, value in values.items():
        variation.check_value(coupon, variant, value)
    ordered = {variant: values[variant] for variant in facts.variants}
    setattr(coupon, variation.experiment_column, facts.id)
    setattr(coupon, variation.values_column, ordered)
    session.flush()
    return AttachedVariation(experiment=facts, values=ordered)


def detach_variation(
    session: Session, variation: CouponVariation, *, actor: User, coupon: Coupon
) -> None:
    """One value for everyone again (the coupon's own), while no viewer was shown one."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    session.refresh(coupon, with_for_update=True)
    if variation.experiment_id(coupon) is None:
        raise variation.untested
    _require_unexposed(session, variation, coupon)
    setattr(coupon, variation.experiment_column, None)
    setattr(coupon, variation.values_column, None)
    session.flush()


def attached_variation(
    session: Session, variation: CouponVariation, *, actor: User, coupon: Coupon
) -> AttachedVariation:
    """What the merchant attached (``variation.untested`` when nothing)."""
    require_coupon_merchant(session, actor=actor, coupon=coupon)
    experiment_id, values = variation.experiment_id(coupon), variation.values(coupon)
    if experiment_id is None or not values:
        raise variation.untested
    return AttachedVariation(experiment=experiment_facts(session, experiment_id), values=values)


def viewer_value(
    session: Session, variation: CouponVariation, *, coupon: Coupon, user_id: int, default: int
) -> int | None:
    """The user's value of a tested coupon, the exposure logged on the first call; None:
    the setting is not tested. ``default`` serves a variant the values lack."""
    experiment_id, values = variation.experiment_id(coupon), variation.values(coupon)
    if experiment_id is None or not values:
        return None
    variant = exposed_variant(session, experiment_id=experiment_id, user_id=user_id)
    return values.get(variant, default)


def coupons_varied_by(
    session: Session, variation: CouponVariation, *, experiment_id: int
) -> list[Coupon]:
    """The coupons whose setting ``experiment_id`` varies, newest first."""
    column = getattr(Coupon, variation.experiment_column)
    query = select(Coupon).where(column == experiment_id)
    return list(session.scalars(query.order_by(Coupon.id.desc())))


def _require_unexposed(session: Session, variation: CouponVariation, coupon: Coupon) -> None:
    require_unexposed(session, variation.experiment_id(coupon), why=variation.exposed_why)
