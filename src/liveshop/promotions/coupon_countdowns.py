"""A/B tests of a coupon's countdown: how long a viewer has to grab it once shown.

The shop's merchant attaches one of the shop's experiments with a length in seconds
per variant (as a coupon's depth is tested, ``coupon_experiments.py``). The first
time a signed-in viewer is shown the coupon (``GET /api/coupons/{id}/offer``, the
room's coupon card) or grabs it, their window opens at their sticky variant's length
(never past the coupon's own end): that moment is the experiment's exposure, and
``coupon_countdowns`` keeps the window. The countdown is real: after it, that viewer's
grab is refused (409 ``offer_expired``), so the experiment measures what urgency does
to conversion rather than a clock that means nothing. Until a viewer has been shown a
variant, the merchant may change the lengths, swap the experiment or detach it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.promotions.coupon_variations import (
    AttachedVariation,
    CouponVariation,
    attached_variation,
    change_variation,
    coupons_varied_by,
    detach_variation,
    viewer_value,
)
from liveshop.promotions.models import Coupon, CouponCountdown
from liveshop.promotions.schemas import (
    COUNTDOWN_SECONDS_MAX,
    COUNTDOWN_SECONDS_MIN,
    CouponCountdownIn,
    CouponCountdownOut,
)


def _check_seconds(coupon: Coupon, variant: str, seconds: int) -> None:
    if not COUNTDOWN_SECONDS_MIN <= seconds <= COUNTDOWN_SECONDS_MAX:
        raise InvalidInput(
            f"variant {variant!r}: a countdown lasts {COUNTDOWN_SECONDS_MIN} to "
            f"{COUNTDOWN_SECONDS_MAX} seconds",
            code="seconds_out_of_range",
        )


COUNTDOWN = CouponVariation(
    experiment_column="countdown_experiment_id",
    values_column="countdown_seconds",
    value_name="length",
    variants_code="seconds_variants",
    untested=NotFound("this coupon's countdown is in no experiment", code="countdown_not_tested"),
    exposed_why=(
        "viewers have been shown this coupon's countdown at their variant's length: the "
        "experiment stays attached as it is (to test other lengths, drop a new coupon)"
    ),
    check_value=_check_seconds,
)


def change_countdown(
    session: Session, *, actor: User, coupon: Coupon, body: CouponCountdownIn
) -> CouponCountdownOut:
    """Attach, or replace the experiment or its lengths, while no viewer has been shown a
    variant of the one attached (409 ``experiment_exposed`` after)."""
    attached = change_variation(
        session,
        COUNTDOWN,
        actor=actor,
        coupon=coupon,
        experiment_id=body.experiment_id,
        values=body.seconds,
    )
    return _out(coupon, attached)


def detach_countdown(session: Session, *, actor: User, coupon: Coupon) -> None:
    """One window for everyone again (the coupon's own), while no viewer was shown one."""
    detach_variation(session, COUNTDOWN, actor=actor, coupon=coupon)


def attached_countdown(session: Session, *, actor: User, coupon: Coupon) -> CouponCountdownOut:
    return _out(coupon, attached_variation(session, COUNTDOWN, actor=actor, coupon=coupon))


def _out(coupon: Coupon, attached: AttachedVariation) -> CouponCountdownOut:
    return CouponCountdownOut(
        coupon_id=coupon.id,
        experiment_id=attached.experiment.id,
        seconds=attached.values,
        exposed=attached.experiment.has_exposures,
    )


def window_for(session: Session, *, coupon: Coupon, user_id: int) -> datetime | None:
    """When the user's time to grab a countdown-tested coupon ends, the window opened (and
    the exposure logged) on the first call; None: the countdown is not tested."""
    seconds = viewer_value(
        session, COUNTDOWN, coupon=coupon, user_id=user_id, default=COUNTDOWN_SECONDS_MAX
    )
    if seconds is None:
        return None
    now = utcnow()
    ends_at = min(now + timedelta(seconds=seconds), as_utc(coupon.ends_at))
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(CouponCountdown)
        .values(coupon_id=coupon.id, user_id=user_id, seconds=seconds, ends_at=ends_at)
        .on_conflict_do_nothing()  # the first showing fixes the window
    )
    opened = session.scalars(
        select(CouponCountdown.ends_at).where(
            CouponCountdown.coupon_id == coupon.id, CouponCountdown.user_id == user_id
        )
    ).one()
    return as_utc(opened)


def require_window_open(session: Session, *, coupon: Coupon, user_id: int) -> None:
    """Refuse a grab after the user's countdown ran out (a grab unseen opens it)."""
    ends_at = window_for(session, coupon=coupon, user_id=user_id)
    if ends_at is not None and ends_at <= utcnow():
        raise Conflict("your time to grab this coupon has run out", code="offer_expired")


def coupons_counting_down(session: Session, *, experiment_id: int) -> list[Coupon]:
    """The coupons whose countdown ``experiment_id`` varies, newest first."""
    return coupons_varied_by(session, COUNTDOWN, experiment_id=experiment_id)
