"""Advertising-law checks for what sellers write: product copy, room titles, host scripts.

Three kinds of finding:

* absolute terms (《广告法》第九条: 最佳, 第一, 国家级, 顶级, 首选, 独家, 100%,
  永久...) and pressure tactics (仅此一次, 马上涨价), by category;
* medical and efficacy claims for ordinary goods (第十七条, 第二十八条);
* a "was" price (原价, 划线价) the seller never charged, judged against the
  price history the caller passes in.

A term inside a context exemption (a consumer tip such as 最佳赏味期, a
standard grade such as 一级能效, a true self-comparison such as 本店最新款, or
one of the seller's registered brand or product names) goes to review instead
of being blocked: a moderator decides. Matching shares the moderation
normaliser, so 最 佳 and 最@佳 are found too.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from liveshop.catalog.copy_review import CopyFinding, CopyReview, CopyVerdict, ProductCopy
from liveshop.moderation.lists import PACKAGED_LISTS, Action, Severity, strictest
from liveshop.moderation.matcher import Hit, LiteralIndex, PhraseIndex, needs_literal_match
from liveshop.moderation.normalise import NormalisedText, normalise_term, width_folded

RULE_FILES = ("advertising_law.csv", "medical_claim.csv")
EXEMPTIONS_FILE = "compliance_exemptions.csv"
PRICE_COMPARISON = "price_comparison"
FALSE_PRICE_RULE = "《价格法》第十四条第四项：不得利用虚假的或者使人误解的价格手段诱骗消费者"
REFERENCE_PRICE_RULE = (
    "《规范促销行为暂行规定》第二十三条：折价、减价以本次促销活动前七日内最低成交价格为基准"
)
PRICE_SUGGESTION = "以本次促销前七日内的最低成交价作为原价，或删除原价标示"
# The reference a "was" price must not exceed: the lowest price of the week before.
REFERENCE_WINDOW = dt.timedelta(days=7)
WAS_PRICE = re.compile(
    r"(?:原价|原售价|划线价|日常价|专柜价|市场价|吊牌价|门市价|指导价|零售价|平时卖|之前卖|以前卖|was|rrp)"
    r"\s*[:：]?\s*[¥￥$]?\s*(\d+(?:\.\d{1,2})?)(?:\s*[元块])?",
    re.IGNORECASE,
)


class Exemption(enum.StrEnum):
    CONSUMER_TIP = "consumer_tip"
    BRAND_NAME = "brand_name"
    STANDARD_GRADE = "standard_grade"
    SELF_COMPARISON = "self_comparison"


@dataclass(frozen=True, slots=True)
class AdRule:
    """One listed term with the rule it breaks and how to rewrite it."""

    term: str
    category: str
    severity: Severity
    rule: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class PricePoint:
    """A price the product was actually sold at, on a day."""

    charged_on: dt.date
    price_cents: int


@dataclass(frozen=True, slots=True)
class Finding:
    term: str
    category: str
    start: int
    end: int
    rule: str
    severity: Severity
    suggestion: str
    action: Action
    exemption: Exemption | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "term": self.term,
            "category": self.category,
            "position": {"start": self.start, "end": self.end},
            "rule": self.rule,
            "severity": self.severity.value,
            "suggestion": self.suggestion,
            "action": self.action.value,
            "exemption": self.exemption.value if self.exemption else None,
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    action: Action
    findings: tuple[Finding, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "findings": [finding.as_json() for finding in self.findings],
        }


class ComplianceChecker:
    """The rules and exemptions of one list directory, compiled once."""

    def __init__(self, directory: Path = PACKAGED_LISTS) -> None:
        rules = [rule for name in RULE_FILES for rule in _read_rules(directory / name)]
        self._terms = PhraseIndex(
            (normalise_term(rule.term), rule)
            for rule in rules
            if not needs_literal_match(rule.term)
        )
        self._literals = LiteralIndex(
            (rule.term, rule) for rule in rules if needs_literal_match(rule.term)
        )
        self._exemptions = PhraseIndex(
            (normalise_term(phrase), kind) for phrase, kind in _read_exemptions(directory)
        )

    def check(
        self,
        text: str,
        *,
        price_history: Sequence[PricePoint] | None = None,
        today: dt.date | None = None,
        registered_names: Iterable[str] = (),
    ) -> ComplianceReport:
        """Check one text (a title, a description, one line of a host's script).

        ``price_history`` is every price the product sold at (None: unknown, so
        a "was" price cannot be verified and goes to review); ``today`` is the
        first day of the promotion (default: today, UTC).
        """
        normalised = NormalisedText(text)
        exemptions = self._exemption_spans(normalised, registered_names)
        findings = self._term_findings(normalised, exemptions)
        findings += self._literal_findings(text)
        day = today or dt.datetime.now(dt.UTC).date()
        findings += _price_findings(text, price_history, day)
        ordered = tuple(sorted(findings, key=lambda finding: (finding.start, finding.end)))
        return ComplianceReport(strictest([finding.action for finding in ordered]), ordered)

    def _exemption_spans(
        self, normalised: NormalisedText, registered_names: Iterable[str]
    ) -> list[tuple[int, int, Exemption]]:
        spans = [
            (hit.start, hit.end, Exemption(hit.payloads[0]))
            for hit in self._exemptions.search(normalised)
        ]
        for name in registered_names:
            key = normalise_term(name)
            start = normalised.compact.find(key) if key else -1
            while start >= 0:
                spans.append((start, start + len(key), Exemption.BRAND_NAME))
                start = normalised.compact.find(key, start + 1)
        return spans

    def _term_findings(
        self, normalised: NormalisedText, exemptions: list[tuple[int, int, Exemption]]
    ) -> list[Finding]:
        hits = [
            hit for hit in self._terms.search(normalised) if normalised.is_word(hit.start, hit.end)
        ]
        findings = []
        for hit in _longest(hits):
            rule = hit.payloads[0]
            exemption = next(
                (kind for start, end, kind in exemptions if start <= hit.start and hit.end <= end),
                None,
            )
            start, end = normalised.original_span(hit.start, hit.end)
            findings.append(_finding(rule, start, end, exemption))
        return findings

    def _literal_findings(self, text: str) -> list[Finding]:
        return [
            _finding(hit.payloads[0], hit.start, hit.end, None)
            for hit in self._literals.search(text)
        ]


def _finding(rule: AdRule, start: int, end: int, exemption: Exemption | None) -> Finding:
    action = Action.REVIEW if exemption else Action.BLOCK
    return Finding(
        rule.term,
        rule.category,
        start,
        end,
        rule.rule,
        rule.severity,
        rule.suggestion,
        action,
        exemption,
    )


def _longest(hits: list[Hit[AdRule]]) -> list[Hit[AdRule]]:
    """Drop hits lying inside a longer one (最低 inside 最低价)."""
    kept: list[Hit[AdRule]] = []
    for hit in sorted(hits, key=lambda each: each.start - each.end):
        if not any(other.start <= hit.start and hit.end <= other.end for other in kept):
            kept.append(hit)
    return kept


def _price_findings(
    text: str, price_history: Sequence[PricePoint] | None, today: dt.date
) -> list[Finding]:
    findings = []
    for claim in WAS_PRICE.finditer(width_folded(text)):
        claimed_cents = int(Decimal(claim.group(1)) * 100)
        judged = _judge_was_price(claimed_cents, price_history, today)
        if judged is not None:
            rule, severity, action = judged
            start, end = claim.span()
            findings.append(
                Finding(text[start:end], PRICE_COMPARISON, start, end, rule, severity,
                        PRICE_SUGGESTION, action)
            )  # fmt: skip
    return findings


def _judge_was_price(
    claimed_cents: int, price_history: Sequence[PricePoint] | None, today: dt.date
) -> tuple[str, Severity, Action] | None:
    """The rule a "was" price breaks, if any: never charged, or above the week's lowest."""
    if price_history is None:
        return REFERENCE_PRICE_RULE, Severity.LOW, Action.REVIEW  # cannot be verified here
    before = [point for point in price_history if point.charged_on < today]
    if all(point.price_cents != claimed_cents for point in before):
        return FALSE_PRICE_RULE, Severity.HIGH, Action.BLOCK
    week = [point.price_cents for point in before if point.charged_on >= today - REFERENCE_WINDOW]
    reference = min(week) if week else max(before, key=lambda point: point.charged_on).price_cents
    if claimed_cents > reference:
        return REFERENCE_PRICE_RULE, Severity.MEDIUM, Action.REVIEW
    return None


def _read_rules(path: Path) -> list[AdRule]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            AdRule(row["term"], row["category"], Severity(row["severity"]), row["rule"],
                   row["suggestion"])
            for row in csv.DictReader(file)
        ]  # fmt: skip


def _read_exemptions(directory: Path) -> list[tuple[str, Exemption]]:
    with (directory / EXEMPTIONS_FILE).open(encoding="utf-8", newline="") as file:
        return [(row["phrase"], Exemption(row["kind"])) for row in csv.DictReader(file)]


@functools.cache
def default_checker() -> ComplianceChecker:
    return ComplianceChecker()


def check_copy(
    text: str,
    *,
    price_history: Sequence[PricePoint] | None = None,
    today: dt.date | None = None,
    registered_names: Iterable[str] = (),
) -> ComplianceReport:
    """Check seller copy with the packaged rules (see ``ComplianceChecker.check``)."""
    return default_checker().check(
        text, price_history=price_history, today=today, registered_names=registered_names
    )


PRODUCT_VERDICTS = {
    Action.ALLOW: CopyVerdict.CLEAN,
    Action.MASK: CopyVerdict.REVIEW,  # compliance never masks; a moderator would decide
    Action.REVIEW: CopyVerdict.REVIEW,
    Action.BLOCK: CopyVerdict.BLOCK,
}


def review_product_copy(copy: ProductCopy) -> CopyReview:
    """Catalog's copy checker (``liveshop.wiring`` registers it): the title
    and the description, with the brand as a registered name. No price history
    is passed, so a "was" price in the copy goes to a moderator."""
    names = (copy.brand,) if copy.brand.strip() else ()
    findings: list[CopyFinding] = []
    actions: list[Action] = []
    for field, text in (("title", copy.title), ("description", copy.description)):
        report = check_copy(text, registered_names=names)
        actions.append(report.action)
        findings += [
            CopyFinding(
                field=field,
                term=finding.term,
                rule=finding.rule,
                suggestion=finding.suggestion,
                verdict=PRODUCT_VERDICTS[finding.action],
            )
            for finding in report.findings
        ]
    return CopyReview(PRODUCT_VERDICTS[strictest(actions)], tuple(findings))
