from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.promotions.models import CouponIssuer, CouponKind


class FlashSaleIn(BaseModel):
    room_id: int = Field(ge=1, le=MAX_ROW_ID)
    sku_id: int = Field(ge=1, le=MAX_ROW_ID)
    price: int = Field(ge=0, le=10**10, description="minor units (分)")
    quantity: int = Field(ge=1, le=1_000_000)
    per_user_limit: int = Field(default=1, ge=1, le=1000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def ends_after_start(self) -> FlashSaleIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class FlashSaleBuyIn(BaseModel):
    quantity: int = Field(default=1, ge=1, le=1000)


class FlashSaleOut(BaseModel):
    id: int
    room_id: int
    shop_id: int
    sku_id: int
    price: int
    reference_price: int
    quantity: int
    sold: int
    remaining: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    status: str


class AdmissionOut(BaseModel):
    position: int
    buyer: str = Field(description="the buyer's name, masked (``b**``)")
    user_id: int | None = Field(description="for the sale's host, shop, admins, regulators")
    quantity: int
    order_id: int | None = Field(description="for the sale's host, shop, admins, regulators")
    admitted_at: datetime
    released: bool


class CouponIn(BaseModel):
    code: str = Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=80)
    kind: CouponKind
    threshold: int = Field(default=0, ge=0, le=10**10)
    amount: int = Field(default=0, ge=0, le=10**10)
    percent: int = Field(default=0, ge=0, le=99)
    cap: int = Field(default=0, ge=0, le=10**10, description="0: no cap")
    product_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    room_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="set: a drop grabbed live"
    )
    platform: bool = Field(default=False, description="a platform coupon (admins only)")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    total_quantity: int = Field(ge=1, le=10_000_000)
    per_user_limit: int = Field(default=1, ge=1, le=100)

    @model_validator(mode="after")
    def consistent(self) -> CouponIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.kind is CouponKind.PERCENT and not 1 <= self.percent <= 99:
            raise ValueError("a percent coupon needs percent between 1 and 99")
        if self.kind is not CouponKind.PERCENT and self.amount < 1:
            raise ValueError("this coupon needs an amount")
        if self.kind is CouponKind.THRESHOLD and self.threshold <= self.amount:
            raise ValueError("a threshold coupon's threshold must exceed its amount")
        return self


class CouponOut(BaseModel):
    id: int
    code: str
    name: str
    issuer: CouponIssuer
    shop_id: int | None
    product_id: int | None
    room_id: int | None
    kind: CouponKind
    threshold: int
    amount: int
    percent: int
    cap: int
    starts_at: datetime
    ends_at: datetime
    total_quantity: int
    claimed: int
    remaining: int
    per_user_limit: int
    experiment: bool = Field(
        default=False,
        description="its depth is A/B tested: each viewer's is at /api/coupons/{id}/offer",
    )
    countdown: bool = Field(
        default=False,
        description="the time to grab it once shown is A/B tested: see offer_ends_at",
    )
    offer_ends_at: datetime | None = Field(
        default=None,
        description="in /api/coupons/{id}/offer: when this viewer's time to grab it ends",
    )


class CouponExperimentIn(BaseModel):
    experiment_id: int = Field(ge=1, le=MAX_ROW_ID)
    depths: dict[str, int] = Field(
        min_length=2,
        max_length=10,
        description="each variant's depth: the amount in minor units, or a percent's percent",
    )


class CouponExperimentOut(BaseModel):
    coupon_id: int
    experiment_id: int
    depths: dict[str, int]
    exposed: bool = Field(
        description="a viewer was shown a variant: the attachment can no longer change"
    )


COUNTDOWN_SECONDS_MIN = 5  # shorter than a viewer can read the card and tap
COUNTDOWN_SECONDS_MAX = 86_400


class CouponCountdownIn(BaseModel):
    experiment_id: int = Field(ge=1, le=MAX_ROW_ID)
    seconds: dict[str, int] = Field(
        min_length=2, max_length=10, description="each variant's time to grab, in seconds"
    )


class CouponCountdownOut(BaseModel):
    coupon_id: int
    experiment_id: int
    seconds: dict[str, int]
    exposed: bool = Field(
        description="a viewer was shown a variant: the attachment can no longer change"
    )


class WalletCouponOut(BaseModel):
    id: int
    coupon: CouponOut
    order_id: int | None
    claimed_at: datetime
