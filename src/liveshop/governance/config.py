"""Enforcement's settings (``LIVESHOP_MODERATION_*``): points, the ladder, appeal
time, scores, gift caps, regulated categories.

A settings object of its own, so that moderation's knobs live beside the code
that reads them; services take it as a keyword argument (tests pass their own),
routes read it through :func:`get_moderation_settings`.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from liveshop.governance.models import PenaltyKind

LADDER_KINDS = (PenaltyKind.WARNING, PenaltyKind.FINE, PenaltyKind.SUSPENSION, PenaltyKind.BAN)


class LadderStep(BaseModel):
    """Reaching ``points`` in the window applies ``kind`` (with ``days`` or ``amount``)."""

    points: int = Field(ge=1)
    kind: PenaltyKind
    days: int | None = Field(default=None, ge=1)  # a suspension's length
    amount: int | None = Field(default=None, ge=1)  # a fine, in 分

    @model_validator(mode="after")
    def _complete(self) -> LadderStep:
        if self.kind not in LADDER_KINDS:
            raise ValueError(f"a ladder step is one of {[kind.value for kind in LADDER_KINDS]}")
        if self.kind is PenaltyKind.FINE and self.amount is None:
            raise ValueError("a fine step needs an amount")
        if self.kind is PenaltyKind.SUSPENSION and self.days is None:
            raise ValueError("a suspension step needs days")
        return self


DEFAULT_LADDER = [
    LadderStep(points=6, kind=PenaltyKind.WARNING),
    LadderStep(points=12, kind=PenaltyKind.FINE, amount=50_000),  # 500 yuan from the deposit
    LadderStep(points=24, kind=PenaltyKind.SUSPENSION, days=7),
    LadderStep(points=48, kind=PenaltyKind.BAN),
]

DEFAULT_POINTS = {
    PenaltyKind.DELETE_COMMENT: 1,
    PenaltyKind.MUTE: 1,
    PenaltyKind.WARNING: 2,
    PenaltyKind.LIMIT_EXPOSURE: 3,
    PenaltyKind.STOP_ROOM: 6,
    PenaltyKind.FINE: 0,
    PenaltyKind.SUSPENSION: 0,  # the heavy penalties are outcomes, not further counts
    PenaltyKind.BAN: 0,
}


class ModerationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVESHOP_MODERATION_", extra="ignore")

    points_window_days: int = Field(default=90, ge=1)
    points: dict[PenaltyKind, int] = Field(default_factory=lambda: dict(DEFAULT_POINTS))
    ladder: list[LadderStep] = Field(default_factory=lambda: list(DEFAULT_LADDER))
    appeal_days: int = Field(default=7, ge=1)
    claim_minutes: int = Field(default=30, ge=1)  # then another moderator may take the report
    currency: str = "CNY"

    score_base: int = Field(default=100, ge=1)
    score_per_point: int = Field(default=2, ge=0)
    score_per_complaint_percent: int = Field(default=3, ge=0)
    score_per_refund_percent: int = Field(default=1, ge=0)
    score_per_failed_inspection: int = Field(default=10, ge=0)
    score_window_days: int = Field(default=90, ge=1)
    flash_sale_min_score: int = Field(default=80, ge=0)

    minimum_host_age: int = Field(default=16, ge=0)
    adult_age: int = Field(default=18, ge=0)
    gift_daily_cap: int = Field(default=50_000, ge=0)  # coins
    gift_monthly_cap: int = Field(default=500_000, ge=0)
    gifts_require_verification: bool = False

    regulated_categories: frozenset[str] = frozenset({"food", "cosmetics", "health"})

    @model_validator(mode="after")
    def _ladder_ascends(self) -> ModerationSettings:
        thresholds = [step.points for step in self.ladder]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("ladder steps need strictly ascending points")
        return self

    def points_for(self, kind: PenaltyKind) -> int:
        return self.points.get(kind, DEFAULT_POINTS[kind])


@lru_cache(maxsize=1)
def get_moderation_settings() -> ModerationSettings:
    return ModerationSettings()
