"""Experiments' request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from liveshop.core.validation import PlainText

METRICS = ("conversion", "gmv_per_viewer")


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=60)
    weight: int = Field(ge=1, le=1_000)


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=120)
    variants: list[VariantIn] = Field(min_length=2, max_length=10)
    metric: str = Field(default="conversion", description=f"one of {', '.join(METRICS)}")
    planned_users_per_variant: int | None = Field(
        default=None, ge=10, le=10_000_000, description="the fixed horizon (sample-size endpoint)"
    )

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[VariantIn]) -> list[VariantIn]:
        if len({variant.name for variant in value}) != len(value):
            raise ValueError("variant names are distinct")
        return value

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"metric is one of {', '.join(METRICS)}")
        return value


class ExperimentOut(BaseModel):
    id: int
    shop_id: int | None
    name: str
    variants: list[dict[str, Any]]
    metric: str
    planned_users_per_variant: int | None
    created_at: datetime


class AssignmentOut(BaseModel):
    experiment_id: int
    variant: str
    exposed_at: datetime


class ComparisonOut(BaseModel):
    versus: str
    rate_difference: float | None
    p_value: float | None = Field(description="two-sided two-proportion z-test, this sample")
    always_valid_p_value: float | None = Field(description="mSPRT, valid at any peek")
    gmv_per_viewer_difference: float | None
    gmv_per_viewer_ci_low: float | None = Field(description="bootstrap 95 % interval, minor units")
    gmv_per_viewer_ci_high: float | None


class VariantResultOut(BaseModel):
    name: str
    users: int
    conversions: int
    rate: float | None
    ci_low: float | None = Field(description="Wilson 95 % interval of the rate")
    ci_high: float | None
    gmv: int
    gmv_per_viewer: float | None
    comparison: ComparisonOut | None


MECHANIC_KINDS = ("coupon_depth", "coupon_countdown", "shelf_order", "landing")


class MechanicOut(BaseModel):
    """One thing an experiment's variants change, and where."""

    kind: str = Field(description=f"one of {', '.join(MECHANIC_KINDS)}")
    target: str = Field(description="what it changes: coupon:ID, room:ID, link:CODE")
    target_name: str = Field(
        description="the coupon's name, the room's title, the link's campaign and channel"
    )
    values: dict[str, int] = Field(
        description="per variant: a coupon's depth (minor units, or a percent coupon's "
        "percent), a coupon's countdown (seconds), a shelf's lead product id"
    )
    value_names: dict[str, str] = Field(
        default_factory=dict,
        description="per variant, the value's name (a lead's or a landing page's title)",
    )
    landings: dict[str, str] = Field(
        default_factory=dict, description="a link's test: per variant, room:ID, product:ID…"
    )
    creatives: dict[str, str] = Field(
        default_factory=dict, description="a link's test: per variant, its creative"
    )
    percent: bool = Field(default=False, description="a coupon depth in percent")


class ResultsOut(BaseModel):
    experiment_id: int
    name: str
    metric: str
    control: str
    variants: list[VariantResultOut]
    p_value: float | None
    always_valid_p_value: float | None
    planned_users_per_variant: int | None
    horizon_reached: bool
    guidance: str
    exposed: bool = Field(description="a viewer was shown a variant: its mechanics are fixed")
    mechanics: list[MechanicOut] = Field(description="what the variants change, and where")


class SampleSizeOut(BaseModel):
    baseline: float
    minimum_effect: float
    alpha: float
    power: float
    users_per_variant: int
