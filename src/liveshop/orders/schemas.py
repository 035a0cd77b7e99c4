from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.orders.models import AfterSaleKind, AfterSaleStatus, OrderOrigin, OrderStatus
from liveshop.privacy.masking import MaskedPhone

MAX_QUANTITY = 999
CouponCode = Annotated[str, Field(max_length=40)]


class OrderItemIn(BaseModel):
    sku_id: int = Field(ge=1, le=MAX_ROW_ID)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class OrderIn(BaseModel):
    items: list[OrderItemIn] = Field(min_length=1, max_length=50)
    room_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    coupon_codes: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=2
    )
    address_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class BuyNowIn(BaseModel):
    sku_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="default: the first SKU in stock"
    )
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    address_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    coupon_codes: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=2
    )


class AddressIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=60)
    phone: str = Field(pattern=r"^\+?[0-9 \-]{5,30}$")
    region: str = Field(min_length=1, max_length=120)
    line: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(default="", max_length=12)
    is_default: bool = False


class AddressOut(AddressIn):
    """An entry of the caller's own address book: the one view with the full phone
    (the owner checks and corrects it here); every other view masks it."""

    id: int


class OrderAddressOut(BaseModel):
    """An order's copy of the address, as everyone sees it (its buyer, the shop, the
    room's host, admins, regulators): the phone masked, as a privacy waybill
    (隐私面单) prints it."""

    recipient: str
    phone: MaskedPhone
    region: str
    line: str
    postal_code: str = ""


class ShipIn(BaseModel):
    tracking_number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=300)


class OrderItemOut(BaseModel):
    sku_id: int
    product_id: int
    title: str
    unit_price: int
    quantity: int
    discount: int
    total: int


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: int | None
    note: str
    at: datetime


class OrderOut(BaseModel):
    id: int
    buyer_id: int
    shop_id: int
    room_id: int | None
    host_id: int | None
    flash_sale_id: int | None
    origin: OrderOrigin = Field(
        description="what made the order: checkout, flash_sale, lucky_draw (a prize), or "
        "auction (won at the auction's price)"
    )
    status: OrderStatus
    currency: str
    items_total: int
    discount_total: int
    shipping_fee: int
    total: int
    pricing: dict[str, Any]
    items: list[OrderItemOut]
    address: OrderAddressOut | None
    tracking_number: str | None
    payment_ref: str | None
    expires_at: datetime | None
    created_at: datetime
    transitions: list[TransitionOut]


class RefundItemIn(BaseModel):
    sku_id: int = Field(ge=1, le=MAX_ROW_ID)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class AfterSaleIn(BaseModel):
    kind: AfterSaleKind = AfterSaleKind.REFUND
    reason: str = Field(min_length=1, max_length=500)
    items: list[RefundItemIn] | None = Field(default=None, description="absent: the whole order")
    quality_complaint: bool = Field(default=False, description="record a product complaint too")


class DecisionIn(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=500)


class ReturnShippedIn(BaseModel):
    tracking_number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")


class AfterSaleOut(BaseModel):
    id: int
    order_id: int
    buyer_id: int
    shop_id: int
    kind: AfterSaleKind
    status: AfterSaleStatus
    reason: str
    items: list[dict[str, int]]
    amount: int
    merchant_deadline: datetime | None
    rejection_reason: str | None
    return_tracking: str | None
    resolution: str | None
    created_at: datetime


class ComplaintRate(BaseModel):
    product_id: int
    shop_id: int
    complaints: int
    units_sold: int
    rate: float


class DisputeResolutionIn(BaseModel):
    refund: bool
    reason: str = Field(min_length=1, max_length=500)


class DrawTasks(BaseModel):
    """What a viewer must have done to enter; all given tasks are required."""

    comment_keyword: str | None = Field(default=None, min_length=1, max_length=20)
    watch_minutes: int | None = Field(default=None, ge=1, le=600)
    follow_shop_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    bought_in_room: bool = False


class DrawIn(BaseModel):
    room_id: int = Field(ge=1, le=MAX_ROW_ID)
    title: str = Field(min_length=1, max_length=80)
    prize_sku_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    prize_coupon_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)
    winners_count: int = Field(ge=1, le=1000)
    tasks: DrawTasks = Field(default_factory=DrawTasks)
    deadline: AwareDatetime
    claim_hours: int = Field(default=24, ge=1, le=24 * 14)

    @model_validator(mode="after")
    def one_prize(self) -> DrawIn:
        if (self.prize_sku_id is None) == (self.prize_coupon_id is None):
            raise ValueError("give either prize_sku_id or prize_coupon_id")
        return self


class DrawOut(BaseModel):
    id: int
    room_id: int
    title: str
    prize_sku_id: int | None
    prize_coupon_id: int | None
    winners_count: int
    tasks: DrawTasks
    commitment: str
    seed: str | None = Field(description="revealed once drawn")
    status: str
    deadline: datetime
    entries: list[int] | None = Field(description="the sorted entrant ids, published once drawn")
    winners: list[int] | None
    winner_names: list[str] = Field(
        default_factory=list, description="the winners as other viewers see them (张**)"
    )
    algorithm: str


class DrawVerification(BaseModel):
    draw_id: int
    commitment_matches: bool
    winners_match: bool
    recomputed_winners: list[int]
    published_winners: list[int]
