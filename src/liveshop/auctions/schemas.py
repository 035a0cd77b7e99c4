from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

MAX_AMOUNT = 100_000_000_00  # 1 亿元 in 分

DEFAULT_INCREMENTS: list[tuple[int, int]] = [
    (0, 100),  # below ¥100: ¥1
    (10_000, 500),  # ¥100-¥500: ¥5
    (50_000, 1_000),  # ¥500-¥1,000: ¥10
    (100_000, 5_000),  # ¥1,000-¥5,000: ¥50
    (500_000, 10_000),  # from ¥5,000: ¥100
]


class AuctionIn(BaseModel):
    room_id: int = Field(ge=1)
    sku_id: int = Field(ge=1)
    starting_price: int = Field(ge=1, le=MAX_AMOUNT, description="分")
    reserve_price: int | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    increments: list[tuple[int, int]] = Field(
        default_factory=lambda: list(DEFAULT_INCREMENTS),
        min_length=1,
        max_length=20,
        description="[from_price, step] bands in 分, the first from 0",
    )
    ending: str = Field(default="extend", pattern="^(extend|sudden_death)$")
    duration_seconds: int = Field(default=120, ge=10, le=7 * 24 * 3600)
    extend_seconds: int = Field(default=20, ge=0, le=600)
    payment_minutes: int = Field(default=30, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _bands(self) -> AuctionIn:
        starts = [start for start, _ in self.increments]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError("increment bands start at 0 and rise strictly")
        if any(step < 1 for _, step in self.increments):
            raise ValueError("every increment is at least 1 分")
        return self


class BidIn(BaseModel):
    max_amount: int = Field(ge=1, le=MAX_AMOUNT, description="the most you will pay, 分")


class BidOut(BaseModel):
    seq: int
    bidder: str  # masked
    bidder_id: int | None = None  # the bidder themself, the auction's people
    max_amount: int | None = None  # only to the bidder themself
    price_after: int
    leading: bool
    at: datetime


class AuctionOut(BaseModel):
    id: int
    room_id: int
    shop_id: int
    product_id: int
    sku_id: int
    title: str
    currency: str
    status: str
    ending: str
    starting_price: int
    reserve_met: bool
    has_reserve: bool
    increments: list[tuple[int, int]]
    extend_seconds: int
    current_price: int | None
    next_minimum: int
    leader: str | None  # masked
    bid_count: int
    starts_at: datetime | None
    ends_at: datetime | None
    seconds_left: float | None
    buyer: str | None
    sold_price: int | None
    order_id: int | None  # only to the buyer and the auction's people
    bids: list[BidOut]


class StandingOut(BaseModel):
    """Where the auction stands right after a bid, as its bid engine decided it. The
    bid log is not in a bid's reply: ``GET /api/auctions/{id}`` and the room have it."""

    id: int
    status: str
    current_price: int | None
    next_minimum: int
    leader: str | None  # masked
    bid_count: int
    reserve_met: bool
    ends_at: datetime | None
    seconds_left: float | None


class BidResult(BaseModel):
    auction: StandingOut
    bid: BidOut
    replayed: bool
