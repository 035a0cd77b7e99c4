from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator


class FlashSaleIn(BaseModel):
    room_id: int = Field(ge=1)
    sku_id: int = Field(ge=1)
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
    user_id: int
    quantity: int
    order_id: int | None
    admitted_at: datetime
    released: bool
