from __future__ import annotations

import enum

from pydantic import BaseModel, Field


class SearchType(enum.StrEnum):
    PRODUCT = "product"
    ROOM = "room"
    SHOP = "shop"


class SearchSort(enum.StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    SALES = "sales"


class SearchFilters(BaseModel):
    min_price: int | None = Field(default=None, ge=0, description="minor units")
    max_price: int | None = Field(default=None, ge=0, description="minor units")
    category: str | None = Field(default=None, max_length=60)
    shop_id: int | None = Field(default=None, ge=1)
    live_now: bool = False
    room_id: int | None = Field(default=None, ge=1, description="only this room's shelf")


class SearchHit(BaseModel):
    kind: SearchType
    id: int
    title: str
    shop_id: int | None
    shop_name: str | None = None
    category: str = ""
    price_min: int | None = None
    sales: int = 0
    image_url: str | None = None
    live_room_id: int | None = None  # a live room selling it (products) or the room itself
    status: str | None = None  # rooms: scheduled or live
    matching_products: int = 0  # rooms and shops: how many matching products they sell


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class PriceRange(BaseModel):
    min_price: int
    max_price: int | None
    count: int


class Facets(BaseModel):
    categories: list[FacetCount] = []
    shops: list[FacetCount] = []
    price_ranges: list[PriceRange] = []
    live_now: int = 0


class SearchOut(BaseModel):
    query: str
    type: SearchType
    sort: SearchSort
    total: int
    results: list[SearchHit]
    facets: Facets
    terms: list[list[str]] = Field(description="what the query was read as: groups of tokens")
