"""What the assistant may answer from: a room's products, the shop's FAQ and the
host's earlier answers. Plain data, built from the database at answer time
(:mod:`liveshop.assistant.room_facts`) or from a fixture file (the evaluation)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SkuFact:
    options: dict[str, str]
    price: int  # minor units
    stock: int


@dataclass(frozen=True)
class ProductFact:
    key: str  # how a cited fact names the product: its id, or a fixture's key
    title: str
    category: str = ""
    brand: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    skus: tuple[SkuFact, ...] = ()
    currency: str = "CNY"
    pinned: bool = False


@dataclass(frozen=True)
class FaqFact:
    key: str
    question: str
    answer: str


@dataclass(frozen=True)
class RoomKnowledge:
    shop_name: str
    products: tuple[ProductFact, ...] = ()
    faq: tuple[FaqFact, ...] = ()
    host_answers: tuple[FaqFact, ...] = ()  # cited as ``qa:<key>``

    def product(self, key: str) -> ProductFact | None:
        return next((product for product in self.products if product.key == key), None)

    def pinned(self) -> ProductFact | None:
        pinned = [product for product in self.products if product.pinned]
        if len(pinned) == 1:
            return pinned[0]
        return self.products[0] if len(self.products) == 1 else None
