from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from liveshop.catalog.copy_review import CopyVerdict
from liveshop.catalog.models import InvitationStatus, ListingStatus
from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.core.validation import ImageUrl, PlainText

MAX_PRICE = 10**10  # 1 亿元 in 分: anything above is a typo
MAX_STOCK = 10**7


class SkuIn(BaseModel):
    code: PlainText | None = Field(default=None, min_length=1, max_length=64)
    options: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=10)
    price: int = Field(ge=0, le=MAX_PRICE, description="minor units (分)")
    stock: int = Field(ge=0, le=MAX_STOCK)


class ProductIn(BaseModel):
    """Either ``skus``, or the shortest form ``price`` + ``stock`` for one SKU."""

    title: PlainText = Field(min_length=1, max_length=120)
    description: PlainText = Field(default="", max_length=10_000)
    category: PlainText = Field(default="", max_length=60)
    brand: PlainText = Field(default="", max_length=60)
    attributes: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=50)
    images: list[ImageUrl] = Field(default_factory=list, max_length=20)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    stock: int | None = Field(default=None, ge=0, le=MAX_STOCK)
    skus: list[SkuIn] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def one_way_to_give_skus(self) -> ProductIn:
        if self.skus is None and (self.price is None or self.stock is None):
            raise ValueError("give either skus, or price and stock for a single SKU")
        if self.skus is not None and (self.price is not None or self.stock is not None):
            raise ValueError("give either skus, or price and stock, not both")
        return self

    def sku_list(self) -> list[SkuIn]:
        if self.skus is not None:
            return self.skus
        assert self.price is not None  # validated above
        assert self.stock is not None
        return [SkuIn(price=self.price, stock=self.stock)]


class SkuPatch(BaseModel):
    id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID, description="absent: a new SKU")
    code: PlainText | None = Field(default=None, min_length=1, max_length=64)
    options: dict[str, str] | None = Field(default=None, max_length=10)
    price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    stock: int | None = Field(default=None, ge=0, le=MAX_STOCK)


class ProductPatch(BaseModel):
    title: PlainText | None = Field(default=None, min_length=1, max_length=120)
    description: PlainText | None = Field(default=None, max_length=10_000)
    category: str | None = Field(default=None, max_length=60)
    brand: str | None = Field(default=None, max_length=60)
    attributes: dict[str, str] | None = Field(default=None, max_length=50)
    images: list[ImageUrl] | None = Field(default=None, max_length=20)
    skus: list[SkuPatch] | None = Field(default=None, max_length=100)


class SkuOut(BaseModel):
    id: int
    code: str
    options: dict[str, Any]
    price: int
    stock: int


class CopyFindingOut(BaseModel):
    """A term of the title or description, the advertising-law rule it breaks, and
    how to rewrite it."""

    field: str
    term: str
    rule: str
    suggestion: str
    verdict: CopyVerdict


class ProductOut(BaseModel):
    id: int
    shop_id: int
    title: str
    description: str
    category: str
    brand: str
    attributes: dict[str, str]
    images: list[str]
    currency: str
    skus: list[SkuOut]
    min_price: int
    total_stock: int
    listing_status: ListingStatus
    listing_findings: list[CopyFindingOut]
    listing_note: str | None = Field(description="why a moderator kept the product held")


class ListingRejectIn(BaseModel):
    reason: PlainText = Field(min_length=1, max_length=500)


class ShopOut(BaseModel):
    id: int
    owner_id: int
    name: str


class StaffInvitationIn(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ROW_ID, description="who is asked to act for the shop")


class StaffInvitationOut(BaseModel):
    id: int
    shop_id: int
    shop_name: str
    user_id: int
    username: str
    invited_by: int
    status: InvitationStatus
    created_at: datetime
    decided_at: datetime | None


class StaffMemberOut(BaseModel):
    user_id: int
    username: str
