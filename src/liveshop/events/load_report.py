"""What became of every row of a log (kept apart from the readers so that the
commands' help and the reports' summaries need neither NumPy nor Arrow)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

BAD_ROWS_SHOWN = 5


class AmountUnit(enum.StrEnum):
    """How a log writes money. The store keeps integer minor units either way, and
    every report that shows money says so in the key (``monetary_minor_units``)."""

    MAJOR = "major"  # 19.99: the log's currency unit, stored as 1999 minor units
    MINOR = "minor"  # 1999: already in minor units (fen, cents), stored as written


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class LoadReport:
    """What happened to every row of a log: each row read was loaded, skipped as an
    event already seen (``skipped``: rows per reason) or rejected as unreadable
    (``rejected``: rows per reason, the first few lines in ``first_bad``), so that
    ``rows_read == rows_loaded + skipped_rows + bad_rows``."""

    file_name: str | None = None
    sha256: str | None = None  # of the file's bytes, when it was imported into a store
    amount_unit: AmountUnit = AmountUnit.MAJOR
    rows_read: int = 0
    rows_loaded: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    first_bad: list[BadRow] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    @property
    def bad_rows(self) -> int:
        return sum(self.rejected.values())

    def add_bad(self, rows: list[BadRow], counts: Mapping[str, int]) -> None:
        """Rejected rows: ``counts`` per reason, ``rows`` the first few of them."""
        for reason, count in counts.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + count
        self.first_bad = sorted([*self.first_bad, *rows], key=lambda bad: bad.line)[:BAD_ROWS_SHOWN]

    def add_unparsed(self, bad: BadRow) -> None:
        """A row the file reader could not even split into fields."""
        self.rows_read += 1
        self.add_bad([bad], {bad.reason: 1})
