"""What the engine says about a text: the matches and the strictest action."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from liveshop.moderation.lists import Action, Severity, strictest

MASK_CHARACTER = "*"


class MatchSource(enum.StrEnum):
    """Which pass found a match."""

    TERM = "term"
    HOMOPHONE = "homophone"
    DIGIT_RUN = "digit_run"
    URL = "url"
    ROOM_BLOCKLIST = "room_blocklist"


@dataclass(frozen=True, slots=True)
class Match:
    """One finding: ``start:end`` are positions in the original text (end exclusive)."""

    term: str
    category: str
    severity: Severity
    action: Action
    start: int
    end: int
    text: str
    source: MatchSource

    def as_json(self) -> dict[str, object]:
        return {
            "term": self.term,
            "category": self.category,
            "severity": self.severity.value,
            "action": self.action.value,
            "position": {"start": self.start, "end": self.end},
            "text": self.text,
            "source": self.source.value,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The strictest action of the matches; ``masked`` stars every match (what a
    mask action shows viewers)."""

    action: Action
    categories: tuple[str, ...]
    matches: tuple[Match, ...]
    masked: str

    def as_json(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "categories": list(self.categories),
            "matches": [match.as_json() for match in self.matches],
            "masked": self.masked,
        }


def verdict_of(text: str, matches: list[Match]) -> Verdict:
    ordered = tuple(sorted(matches, key=lambda match: (match.start, match.end, match.category)))
    return Verdict(
        action=strictest([match.action for match in ordered]),
        categories=tuple(sorted({match.category for match in ordered})),
        matches=ordered,
        masked=_masked(text, ordered),
    )


def _masked(text: str, matches: Iterable[Match]) -> str:
    """``text`` with every match starred; ``matches`` ordered by start (they may overlap)."""
    pieces: list[str] = []
    unmasked_from = 0
    for match in matches:
        start = max(match.start, unmasked_from)
        if match.end > start:
            pieces += (text[unmasked_from:start], MASK_CHARACTER * (match.end - start))
            unmasked_from = match.end
    pieces.append(text[unmasked_from:])
    return "".join(pieces)
