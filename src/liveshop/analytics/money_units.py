"""Money in reports says its unit wherever a report leaves the process.

The event store keeps every amount as an integer in minor units (cents, fen:
19.99 is 1999) of the currency its events were recorded in, and keeps no
currency (the platform's events are in the shop's currency, an imported log in
its own), so a figure can only say which unit it is in, not which currency.
Profiles name theirs at the source (``monetary_minor_units``); the reports'
figures (GMV, GPM, spend) are renamed here, once, for the CLI's tables and JSON
and for the API alike.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

MINOR_UNITS = "minor_units"
MONEY_KEYS = {
    "gmv": f"gmv_{MINOR_UNITS}",
    "gpm": f"gpm_{MINOR_UNITS}",  # GMV per thousand views
    "spend": f"spend_{MINOR_UNITS}",
}


def with_money_units(value: Any) -> Any:
    """``value`` as plain data (dataclasses as dicts, recursively), every key that
    holds money renamed to say its unit (``gmv`` -> ``gmv_minor_units``)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {MONEY_KEYS.get(key, key): with_money_units(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_money_units(item) for item in value]
    return value
