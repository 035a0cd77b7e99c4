"""One price calculator for the cart, the order and the page, that explains itself.

Discounts are spread over the lines exactly (largest remainder), so the
parts always add up to the total and a partial refund returns the right amount.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class PriceLine(BaseModel):
    sku_id: int
    title: str
    unit_price: int
    quantity: int
    subtotal: int
    discount: int = 0
    total: int = 0


class AppliedDiscount(BaseModel):
    code: str
    label: str
    amount: int


class PriceBreakdown(BaseModel):
    currency: str
    lines: list[PriceLine]
    items_total: int
    discounts: list[AppliedDiscount]
    discount_total: int
    shipping_fee: int
    total: int


def spread_exactly(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights``; the parts sum to ``amount`` exactly.

    Each part is floored, then the units left over go to the largest remainders
    (ties to the earlier line), and no part exceeds its weight.
    """
    total_weight = sum(weights)
    if amount <= 0 or total_weight <= 0:
        return [0 for _ in weights]
    amount = min(amount, total_weight)
    floors = [amount * weight // total_weight for weight in weights]
    remainders = [amount * weight % total_weight for weight in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[:left]:
        floors[index] += 1
    return floors


def price_lines(
    lines: Sequence[PriceLine],
    *,
    currency: str,
    discounts: Sequence[AppliedDiscount] = (),
    shipping_fee: int = 0,
) -> PriceBreakdown:
    items_total = sum(line.subtotal for line in lines)
    discount_total = min(sum(discount.amount for discount in discounts), items_total)
    shares = spread_exactly(discount_total, [line.subtotal for line in lines])
    priced = [
        line.model_copy(update={"discount": share, "total": line.subtotal - share})
        for line, share in zip(lines, shares, strict=True)
    ]
    return PriceBreakdown(
        currency=currency,
        lines=priced,
        items_total=items_total,
        discounts=list(discounts),
        discount_total=discount_total,
        shipping_fee=shipping_fee,
        total=items_total - discount_total + shipping_fee,
    )
