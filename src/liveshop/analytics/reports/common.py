"""What every report shares: the time window and safe literals in portable SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from liveshop.core.errors import InvalidInput

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Spark reads a backslash in a literal as an escape and DuckDB does not, so
# the one SQL text stays portable only for literals without quotes or backslashes.
UNSAFE_LITERAL = re.compile(r"['\\\\]")


@dataclass(frozen=True)
class TimeWindow:
    """Half-open [start_us, end_us) in UTC epoch microseconds; None is unbounded."""

    start_us: int | None = None
    end_us: int | None = None

    @classmethod
    def from_dates(cls, start: date | None = None, end: date | None = None) -> TimeWindow:
        """Whole days: [start, end + 1 day), so ``end`` itself is included."""
        return cls(
            start_us=day_start_us(start) if start is not None else None,
            end_us=day_start_us(end + timedelta(days=1)) if end is not None else None,
        )

    def condition(self, column: str = "ts_us") -> str:
        parts = ["1 = 1"]
        if self.start_us is not None:
            parts.append(f"{column} >= {int(self.start_us)}")
        if self.end_us is not None:
            parts.append(f"{column} < {int(self.end_us)}")
        return " AND ".join(parts)


def day_start_us(day: date) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def day_of(day_number: int) -> date:
    """The UTC date of a day number (days since 1970-01-01)."""
    return date(1970, 1, 1) + timedelta(days=day_number)


def minute_start(minute_number: int) -> datetime:
    return EPOCH + timedelta(minutes=minute_number)


def literal(value: str) -> str:
    """A SQL string literal both engines read the same way."""
    if UNSAFE_LITERAL.search(value):
        raise InvalidInput(f"quotes and backslashes are not allowed in {value!r}")
    return f"'{value}'"


def literal_list(values: list[str]) -> str:
    return ", ".join(literal(value) for value in values)


def fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def parse_duration(text: str) -> int:
    """``90s``, ``30m``, ``1h``, ``7d`` (or plain seconds) to seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match:
        raise InvalidInput(f"not a duration: {text!r} (use e.g. 30m, 1h, 7d)")
    number, unit = int(match.group(1)), match.group(2) or "s"
    seconds = number * {"s": 1, "m": 60, "h": 3600, "d": 86_400}[unit]
    if seconds <= 0:
        raise InvalidInput("the duration must be positive")
    return seconds


# Event types as the platform records them and as common logs name them.
VIEW_TYPES = ("view", "join")
CLICK_TYPES = ("click", "product_click")
CART_TYPES = ("cart", "add_to_cart")
PURCHASE_TYPES = ("purchase", "order")
COMMENT_TYPES = ("comment",)
QUESTION_TYPES = ("question",)
LIKE_TYPES = ("like",)
GIFT_TYPES = ("gift",)
JOIN_TYPES = ("join",)
LEAVE_TYPES = ("leave",)


def is_type(types: tuple[str, ...]) -> str:
    return f"event_type IN ({literal_list(list(types))})"


def count_of(types: tuple[str, ...]) -> str:
    return f"sum(CASE WHEN {is_type(types)} THEN 1 ELSE 0 END)"


def orders_count() -> str:
    """Purchases that name their order count once per order (its lines are one
    order); a purchase without an order id is an order of its own."""
    return (
        f"count(DISTINCT CASE WHEN {is_type(PURCHASE_TYPES)} THEN order_id END)"
        f" + sum(CASE WHEN {is_type(PURCHASE_TYPES)} AND order_id IS NULL THEN 1 ELSE 0 END)"
    )


def likes_sum() -> str:
    """A like event may stand for a burst of likes (``like_count``)."""
    return f"sum(CASE WHEN {is_type(LIKE_TYPES)} THEN coalesce(like_count, 1) ELSE 0 END)"


def gmv_sum() -> str:
    return f"coalesce(sum(CASE WHEN {is_type(PURCHASE_TYPES)} THEN amount END), 0)"


def as_int(value: object) -> int:
    """Engines return sums as int, Decimal or None (empty input)."""
    return int(str(value)) if value is not None else 0
