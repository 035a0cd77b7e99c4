"""Governance's settings, typed: points, the ladder, appeal time, scores, gift
caps, regulated categories.

The values come from the one settings object (``core.settings.Settings``, its
``moderation_*`` fields, read from ``LIVESHOP_MODERATION_*``); this module gives
them governance's types (penalty kinds, a checked ladder). Services take a
``ModerationSettings`` as a keyword argument (tests build their own, with the
same defaults), routes read it through :func:`get_moderation_settings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from liveshop.core.settings import Settings, get_settings
from liveshop.governance.models import PenaltyKind

LADDER_KINDS = (PenaltyKind.WARNING, PenaltyKind.FINE, PenaltyKind.SUSPENSION, PenaltyKind.BAN)
PREFIX = "moderation_"


def _default(name: str) -> Any:
    """The default of ``Settings.moderation_<name>``: defaults live in one place."""
    return Settings.model_fields[PREFIX + name].get_default(call_default_factory=True)


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


DEFAULT_POINTS: dict[PenaltyKind, int] = {
    PenaltyKind(kind): points for kind, points in _default("points").items()
}


class ModerationSettings(BaseModel):
    model_config = ConfigDict(validate_default=True)  # the ladder's dicts become steps

    points_window_days: int = Field(default_factory=lambda: _default("points_window_days"), ge=1)
    points: dict[PenaltyKind, int] = Field(default_factory=lambda: dict(DEFAULT_POINTS))
    ladder: list[LadderStep] = Field(default_factory=lambda: _default("ladder"))
    appeal_days: int = Field(default_factory=lambda: _default("appeal_days"), ge=1)
    claim_minutes: int = Field(default_factory=lambda: _default("claim_minutes"), ge=1)
    currency: str = Field(default_factory=lambda: _default("currency"))

    score_base: int = Field(default_factory=lambda: _default("score_base"), ge=1)
    score_per_point: int = Field(default_factory=lambda: _default("score_per_point"), ge=0)
    score_per_complaint_percent: int = Field(
        default_factory=lambda: _default("score_per_complaint_percent"), ge=0
    )
    score_per_refund_percent: int = Field(
        default_factory=lambda: _default("score_per_refund_percent"), ge=0
    )
    score_per_failed_inspection: int = Field(
        default_factory=lambda: _default("score_per_failed_inspection"), ge=0
    )
    score_window_days: int = Field(default_factory=lambda: _default("score_window_days"), ge=1)
    flash_sale_min_score: int = Field(
        default_factory=lambda: _default("flash_sale_min_score"), ge=0
    )

    minimum_host_age: int = Field(default_factory=lambda: _default("minimum_host_age"), ge=0)
    adult_age: int = Field(default_factory=lambda: _default("adult_age"), ge=0)
    gift_daily_cap: int = Field(default_factory=lambda: _default("gift_daily_cap"), ge=0)  # coins
    gift_monthly_cap: int = Field(default_factory=lambda: _default("gift_monthly_cap"), ge=0)
    gifts_require_verification: bool = Field(
        default_factory=lambda: _default("gifts_require_verification")
    )

    regulated_categories: frozenset[str] = Field(
        default_factory=lambda: _default("regulated_categories")
    )

    @model_validator(mode="after")
    def _ladder_ascends(self) -> ModerationSettings:
        thresholds = [step.points for step in self.ladder]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("ladder steps need strictly ascending points")
        return self

    def points_for(self, kind: PenaltyKind) -> int:
        return self.points.get(kind, DEFAULT_POINTS[kind])

    @classmethod
    def of(cls, settings: Settings) -> ModerationSettings:
        """The ``moderation_*`` fields of the one settings object, typed."""
        values = {
            name: getattr(settings, PREFIX + name)
            for name in cls.model_fields
            if PREFIX + name in Settings.model_fields
        }
        return cls.model_validate(values)


def get_moderation_settings() -> ModerationSettings:
    """The running process's governance settings (a FastAPI dependency too)."""
    return ModerationSettings.of(get_settings())
