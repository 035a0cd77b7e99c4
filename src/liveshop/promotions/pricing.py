"""One price calculator for the cart, the order and the page, that explains itself.

Each discount is spread over the lines it applies to, exactly (largest
remainder), so the parts always add up to the total and a partial refund
returns the right amount.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class PriceLine(BaseModel):
    sku_id: int
    product_id: int
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
    product_ids: list[int] | None = None  # None: every line


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


def applies_to(discount: AppliedDiscount, line: PriceLine) -> bool:
    return discount.product_ids is None or line.product_id in discount.product_ids


def discount_shares(
    lines: Sequence[PriceLine], discounts: Sequence[AppliedDiscount]
) -> list[list[int]]:
    """Each discount's share of each line (``shares[discount][line]``), spread in
    order: a later discount splits what the earlier ones left of each line."""
    taken = [0 for _ in lines]
    shares: list[list[int]] = []
    for discount in discounts:
        room_left = [
            line.subtotal - already if applies_to(discount, line) else 0
            for line, already in zip(lines, taken, strict=True)
        ]
        spread = spread_exactly(discount.amount, room_left)
        shares.append(spread)
        taken = [already + share for already, share in zip(taken, spread, strict=True)]
    return shares


def price_lines(
    lines: Sequence[PriceLine],
    *,
    currency: str,
    discounts: Sequence[AppliedDiscount] = (),
    shipping_fee: int = 0,
) -> PriceBreakdown:
    """Totals with each discount spread over its lines; a line never goes below zero."""
    shares = discount_shares(lines, discounts)
    line_discounts = [sum(column) for column in zip(*shares, strict=True)] or [0 for _ in lines]
    priced = [
        line.model_copy(update={"discount": taken, "total": line.subtotal - taken})
        for line, taken in zip(lines, line_discounts, strict=True)
    ]
    items_total = sum(line.subtotal for line in lines)
    discount_total = sum(line_discounts)
    return PriceBreakdown(
        currency=currency,
        lines=priced,
        items_total=items_total,
        discounts=list(discounts),
        discount_total=discount_total,
        shipping_fee=shipping_fee,
        total=items_total - discount_total + shipping_fee,
    )
