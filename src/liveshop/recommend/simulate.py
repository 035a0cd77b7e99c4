"""A shop-like purchase log with repeat buying, for evaluation and benchmarks.

Each shopper has a few favourite categories and a small basket of staples
bought again and again (groceries, cosmetics, snacks); the rest of their
purchases are new items drawn from their favourite categories by popularity.
Written as ``user_id, item_id, timestamp`` plus an items file (``item_id,
category, brand, title``) for content-based scoring.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DAY_SECONDS = 86_400
START_TIMESTAMP = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class ShopLogOptions:
    users: int = 2000
    items: int = 1500
    categories: int = 30
    brands: int = 80
    purchases_per_user: float = 20.0  # mean
    repeat_share: float = 0.6  # share of purchases that re-buy a staple
    staples_per_user: int = 4
    days: int = 180
    seed: int = 1


def simulate_shop_log(
    options: ShopLogOptions,
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, str, str]]]:
    """(purchases in time order, items)."""
    rng = np.random.default_rng(options.seed)
    category = rng.integers(0, options.categories, options.items)
    brand = rng.integers(0, options.brands, options.items)
    appeal = rng.pareto(1.5, options.items) + 0.05
    by_category = [np.flatnonzero(category == c) for c in range(options.categories)]
    rows: list[tuple[str, str, int]] = []
    for user in range(options.users):
        favourites = rng.choice(options.categories, size=3, replace=False)
        pool = np.concatenate([by_category[c] for c in favourites])
        if not len(pool):
            continue
        weights = appeal[pool] / appeal[pool].sum()
        staples = rng.choice(
            pool, size=min(options.staples_per_user, len(pool)), replace=False, p=weights
        )
        count = max(1, int(rng.poisson(options.purchases_per_user)))
        times = np.sort(rng.uniform(0, options.days * DAY_SECONDS, count))
        for moment in times:
            if rng.random() < options.repeat_share:
                item = int(rng.choice(staples))
            else:
                item = int(rng.choice(pool, p=weights))
            rows.append((f"u{user}", f"p{item}", START_TIMESTAMP + int(moment)))
    rows.sort(key=lambda row: row[2])
    items = [
        (f"p{i}", f"category-{category[i]}", f"brand-{brand[i]}", f"item {i} of brand {brand[i]}")
        for i in range(options.items)
    ]
    return rows, items


def write_shop_log(options: ShopLogOptions, out: Path) -> tuple[Path, Path]:
    """Write ``out`` (purchases) and ``out`` with suffix ``.item`` (attributes)."""
    rows, items = simulate_shop_log(options)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("user_id", "item_id", "timestamp"))
        writer.writerows(rows)
    items_path = out.with_suffix(".item")
    with items_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("item_id", "category", "brand", "title"))
        writer.writerows(items)
    return out, items_path
