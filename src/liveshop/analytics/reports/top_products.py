"""The most visited (or clicked, bought...) products in a time window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from liveshop.analytics.engines import CountsInOneScan
from liveshop.analytics.reports.common import TimeWindow, literal

if TYPE_CHECKING:
    from liveshop.analytics.engines import Engine


@dataclass(frozen=True)
class ProductCount:
    product_id: str
    count: int


def top_products_sql(*, window: TimeWindow, event_type: str, top: int) -> str:
    return f"""
SELECT product_id, count(*) AS event_count
FROM events
WHERE event_type = {literal(event_type)} AND product_id IS NOT NULL AND {window.condition()}
GROUP BY product_id
ORDER BY event_count DESC, product_id
LIMIT {int(top)}
"""


def top_products(
    engine: Engine, *, window: TimeWindow, event_type: str = "view", top: int = 10
) -> list[ProductCount]:
    """Highest count first, ties by product id (as text, in code-point order)."""
    if isinstance(engine, CountsInOneScan):  # a log file: one scan counts and validates
        condition = f"event_type = {literal(event_type)} AND {window.condition()}"
        counts = sorted(engine.count_by("product_id", condition), key=lambda c: (-c[1], c[0]))
        return [ProductCount(product_id=key, count=rows) for key, rows in counts[: int(top)]]
    rows = engine.rows(top_products_sql(window=window, event_type=event_type, top=top))
    return [
        ProductCount(product_id=row["product_id"], count=int(row["event_count"])) for row in rows
    ]
