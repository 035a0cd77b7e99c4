"""The advertising-law check of a product's copy, and the listing status it sets.

The check is moderation's (``moderation.compliance``), and catalog may not
import moderation (the same layer): ``liveshop.wiring`` registers it with
:func:`register_copy_checker` when the app, the CLI or the demo starts.
Without a checker no copy is saved, so nothing is ever published unchecked.

Copy whose verdict is ``block`` is refused (:class:`CopyRejected`); ``review``
is saved but held until a moderator approves it (``catalog.listing``); clean
copy is published.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.errors import InvalidInput


class CopyVerdict(enum.StrEnum):
    CLEAN = "clean"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class ProductCopy:
    """What a buyer reads about a product; the brand counts as a registered name."""

    title: str
    description: str
    brand: str

    @classmethod
    def of(cls, product: Product) -> ProductCopy:
        return cls(product.title, product.description, product.brand)


@dataclass(frozen=True, slots=True)
class CopyFinding:
    """One term of the copy, the rule it breaks and how to rewrite it."""

    field: str  # "title" or "description"
    term: str
    rule: str
    suggestion: str
    verdict: CopyVerdict

    def as_json(self) -> dict[str, str]:
        return {
            "field": self.field,
            "term": self.term,
            "rule": self.rule,
            "suggestion": self.suggestion,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True, slots=True)
class CopyReview:
    verdict: CopyVerdict
    findings: tuple[CopyFinding, ...]


CopyChecker = Callable[[ProductCopy], CopyReview]
_checkers: list[CopyChecker] = []


class CopyRejected(InvalidInput):
    """The copy breaks the advertising law outright; ``findings`` say where and how to fix it."""

    code = "copy_blocked"

    def __init__(self, findings: tuple[CopyFinding, ...]) -> None:
        blocking = "; ".join(
            f"{finding.field} 「{finding.term}」: {finding.rule} ({finding.suggestion})"
            for finding in findings
            if finding.verdict is CopyVerdict.BLOCK
        )
        super().__init__(f"the product's copy cannot be published: {blocking}")
        self.findings = findings


def register_copy_checker(checker: CopyChecker) -> None:
    _checkers[:] = [checker]


def registered_copy_checker() -> CopyChecker | None:
    return _checkers[0] if _checkers else None


def review_copy(product: Product) -> None:
    """Check the product's copy and set its listing: raises :class:`CopyRejected`
    for blocked copy (the caller's transaction must then be rolled back), holds
    copy that needs a moderator, publishes clean copy. A new check replaces any
    earlier moderator decision."""
    if not _checkers:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no copy checker")
    review = _checkers[0](ProductCopy.of(product))
    if review.verdict is CopyVerdict.BLOCK:
        raise CopyRejected(review.findings)
    product.listing_status = (
        ListingStatus.HELD_FOR_REVIEW
        if review.verdict is CopyVerdict.REVIEW
        else ListingStatus.PUBLISHED
    )
    product.listing_findings = [finding.as_json() for finding in review.findings]
    product.listing_note = None
    product.listing_reviewed_by = None
    product.listing_reviewed_at = None
