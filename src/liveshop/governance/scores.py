"""Host credit score (主播信用分) and shop score, each with its reasons.

A score starts at ``score_base`` and loses points for violations in the window,
for after-sales complaint and refund rates, and (shops) for failed sampling
inspections; it never goes below zero. After-sales figures belong to
``orders`` (a higher layer): the caller passes them, or they are fetched from
the source ``liveshop.wiring`` registers with :func:`register_after_sales_source`
(``orders.moderation_figures``). A shop's buyers' rating comes from ``reviews``
the same way (:func:`register_rating_source`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.models import (
    Inspection,
    InspectionResult,
    SubjectType,
)
from liveshop.governance.penalties import violation_points
from liveshop.governance.queries import is_banned, is_suspended

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class AfterSalesFigures:
    """Orders in the window and how many of them drew a complaint or a refund."""

    orders: int
    complaints: int
    refunds: int

    def percent(self, count: int) -> int:
        """``count`` as a whole percentage of orders, rounded half up (0 with no orders)."""
        if self.orders <= 0:
            return 0
        return (count * 100 * 2 + self.orders) // (self.orders * 2)


AfterSalesSource = Callable[[Session, SubjectType, int, datetime], AfterSalesFigures]
_after_sales: list[AfterSalesSource] = []


def register_after_sales_source(source: AfterSalesSource) -> None:
    """``orders`` registers how to count a host's or shop's orders, complaints and
    refunds since a moment (a host: orders placed in their rooms)."""
    _after_sales[:] = [source]


def unregister_after_sales_source() -> None:
    _after_sales.clear()


def registered_after_sales_source() -> AfterSalesSource | None:
    return _after_sales[0] if _after_sales else None


@dataclass(frozen=True)
class RatingFigures:
    """A shop's published review ratings in the window: how many, and their average
    in tenths of a star (4.3 stars is 43)."""

    count: int
    average_tenths: int


RATINGS_NEEDED = 5  # fewer reviews say too little about a shop to cost it points
RATING_EXPECTED_TENTHS = 45  # a shop rated 4.5 stars or better loses nothing
RATING_POINTS_PER_TENTH = 1  # each tenth of a star below that costs a point

RatingSource = Callable[[Session, int, datetime], RatingFigures]
_ratings: list[RatingSource] = []


def register_rating_source(source: RatingSource) -> None:
    """``reviews`` registers how to read a shop's ratings since a moment."""
    _ratings[:] = [source]


def registered_rating_source() -> RatingSource | None:
    return _ratings[0] if _ratings else None


def _rating_reasons(session: Session, *, shop_id: int, since: datetime) -> list[ScoreReason]:
    if not _ratings:
        return []
    figures = _ratings[0](session, shop_id, since)
    if figures.count < RATINGS_NEEDED or figures.average_tenths >= RATING_EXPECTED_TENTHS:
        return []
    return [
        ScoreReason(
            "low_rating",
            (RATING_EXPECTED_TENTHS - figures.average_tenths) * RATING_POINTS_PER_TENTH,
            f"buyers rated the shop {figures.average_tenths / 10:.1f} stars "
            f"in {figures.count} reviews",
            {"stars_tenths": figures.average_tenths, "reviews": figures.count},
        )
    ]


@dataclass(frozen=True)
class ScoreReason:
    code: str
    deduction: int
    detail: str  # in English, for the API's readers and the flash sale's refusal
    figures: dict[str, int] = field(default_factory=dict)  # what a page writes its words from


@dataclass(frozen=True)
class Score:
    subject_type: SubjectType
    subject_id: int
    value: int
    base: int
    reasons: list[ScoreReason]


def failed_inspections(session: Session, *, shop_id: int, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Inspection.shop_id == shop_id,
                Inspection.result == InspectionResult.FAIL,
                Inspection.recorded_at >= since,
            )
        )
        or 0
    )


def compute_score(
    session: Session,
    *,
    subject_type: SubjectType,
    subject_id: int,
    settings: ModerationSettings,
    after_sales: AfterSalesFigures | None = None,
    now: datetime | None = None,
) -> Score:
    moment = now or utcnow()
    since = moment - timedelta(days=settings.score_window_days)
    if after_sales is None and _after_sales:
        after_sales = _after_sales[0](session, subject_type, subject_id, since)
    reasons: list[ScoreReason] = []
    points = violation_points(
        session, subject_type=subject_type, subject_id=subject_id, settings=settings, now=moment
    )
    if points:
        reasons.append(
            ScoreReason(
                "violations",
                points * settings.score_per_point,
                f"{points} violation points in the last {settings.points_window_days} days",
                {"points": points, "days": settings.points_window_days},
            )
        )
    if after_sales is not None:
        reasons.extend(_after_sales_reasons(after_sales, settings))
    if subject_type is SubjectType.SHOP:
        failed = failed_inspections(session, shop_id=subject_id, since=since)
        if failed:
            reasons.append(
                ScoreReason(
                    "failed_inspections",
                    failed * settings.score_per_failed_inspection,
                    f"{failed} failed sampling inspections in {settings.score_window_days} days",
                    {"count": failed, "days": settings.score_window_days},
                )
            )
        reasons.extend(_rating_reasons(session, shop_id=subject_id, since=since))
    reasons = [reason for reason in reasons if reason.deduction > 0]
    value = max(0, settings.score_base - sum(reason.deduction for reason in reasons))
    return Score(subject_type, subject_id, value, settings.score_base, reasons)


def _after_sales_reasons(
    figures: AfterSalesFigures, settings: ModerationSettings
) -> list[ScoreReason]:
    complaint_percent = figures.percent(figures.complaints)
    refund_percent = figures.percent(figures.refunds)
    return [
        ScoreReason(
            "complaint_rate",
            complaint_percent * settings.score_per_complaint_percent,
            f"complaints on {complaint_percent}% of {figures.orders} orders",
            {"percent": complaint_percent, "orders": figures.orders},
        ),
        ScoreReason(
            "refund_rate",
            refund_percent * settings.score_per_refund_percent,
            f"refunds on {refund_percent}% of {figures.orders} orders",
            {"percent": refund_percent, "orders": figures.orders},
        ),
    ]


@dataclass(frozen=True)
class FlashSaleRefusal:
    """Why a host may not run a flash sale, for the host to read."""

    code: str
    message: str


def flash_sale_refusal(
    session: Session,
    host_id: int,
    *,
    settings: ModerationSettings | None = None,
    after_sales: AfterSalesFigures | None = None,
    now: datetime | None = None,
) -> FlashSaleRefusal | None:
    """None when the host may run a flash sale: not banned or suspended, and a host
    credit score of at least ``flash_sale_min_score``; else the reason."""
    settings = settings or get_moderation_settings()
    if is_banned(session, user_id=host_id, now=now):
        return FlashSaleRefusal("host_banned", "the room's host is banned: no flash sales")
    if is_suspended(session, user_id=host_id, now=now):
        return FlashSaleRefusal(
            "host_suspended", "the room's host is suspended: no flash sales until it ends"
        )
    score = compute_score(
        session,
        subject_type=SubjectType.USER,
        subject_id=host_id,
        settings=settings,
        after_sales=after_sales,
        now=now,
    )
    if score.value >= settings.flash_sale_min_score:
        return None
    deductions = "; ".join(f"-{reason.deduction}: {reason.detail}" for reason in score.reasons)
    return FlashSaleRefusal(
        "host_score_too_low",
        f"the room's host has a credit score of {score.value}, below the "
        f"{settings.flash_sale_min_score} a flash sale needs"
        + (f" ({deductions})" if deductions else ""),
    )


def may_run_flash_sale(
    session: Session,
    host_id: int,
    *,
    settings: ModerationSettings | None = None,
    after_sales: AfterSalesFigures | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether the host may run a flash sale (see :func:`flash_sale_refusal`)."""
    refusal = flash_sale_refusal(
        session, host_id, settings=settings, after_sales=after_sales, now=now
    )
    return refusal is None
