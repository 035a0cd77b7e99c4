"""From a question to a cited fact, or to the host.

The question is read (:mod:`liveshop.assistant.question_reading`), the kind of fact
and the product it is about are retrieved (:mod:`liveshop.assistant.retrieval`), and
this module decides: it answers only when the best kind of fact scores clearly above
the runner-up and the product it is about has that fact; otherwise the host gets the
question with the best guess as a suggestion. Prices and stock are read from the
knowledge handed in, which the live room builds at the moment of answering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge, SkuFact
from liveshop.assistant.question_reading import (
    COLOUR_OR_SIZE,
    HOST_ONLY,
    OPTION_AVAILABLE,
    PRICE_QUESTION,
    STOCK_QUESTION,
    expand_shorthand,
    mentioned_skus,
)
from liveshop.assistant.retrieval import FactIndex, FactKind

MIN_SCORE = 0.5  # below this the best fact is a coincidence (one shared word scores about 1)
MARGIN = 2.0  # the best fact must beat the runner-up by this factor (tuned on questions.csv)
HOST = "host"


@dataclass(frozen=True)
class Decision:
    """``fact`` is a path: ``<product>.price``, ``<product>.stock``, ``<product>.brand``,
    ``<product>.attributes.<name>``, ``faq:<key>``, ``qa:<key>``, or ``host``."""

    answered: bool
    fact: str
    answer: str | None  # posted when answered; the suggestion to the host otherwise
    confidence: float
    reason: str


def yuan(minor: int) -> str:
    return f"¥{minor // 100}" if minor % 100 == 0 else f"¥{minor // 100}.{minor % 100:02d}"


class RoomAnswerer:
    """Answers for one room's knowledge; build it again when the knowledge changes."""

    def __init__(self, knowledge: RoomKnowledge) -> None:
        self.knowledge = knowledge
        self.facts = FactIndex(knowledge)

    def decide(self, question: str) -> Decision:
        normal = expand_shorthand(question)
        if HOST_ONLY.search(normal):
            remembered = self._best_answer_kind(normal)
            if remembered is None:
                return Decision(False, HOST, None, 0.0, "only the host can answer this")
            return remembered
        tokens = self.facts.query_tokens(question, characters=False)  # to name a product
        shortcut = self._price_or_stock(normal)
        if shortcut is not None:
            return self._answer(shortcut, normal, tokens, 1.0)
        kinds = self.facts.kinds
        asked, kind_tokens = self._what_is_asked(question)
        if not kind_tokens or not kinds:
            return Decision(
                False, HOST, None, 0.0, "no word of the question is in the shop's facts"
            )
        scores = self.facts.kind_scores(kind_tokens) * self.facts.eligible(None, normal)
        product = self._product_with(kinds[int(np.argmax(scores))], scores, normal, tokens)
        if product is False:
            return Decision(False, HOST, None, 0.0, "the product asked about lacks the fact")
        scores = scores * self.facts.eligible(product, normal)
        order = np.argsort(-scores)
        best, runner_up = (
            float(scores[order[0]]),
            float(scores[order[1]]) if len(order) > 1 else 0.0,
        )
        kind = kinds[int(order[0])]
        confidence = best / (best + runner_up) if best > 0 else 0.0
        if best < MIN_SCORE:
            return Decision(False, HOST, None, confidence, "no fact matches well enough")
        if not self._matched_by_a_word(question, asked, int(order[0])):
            suggestion = self._answer(kind, normal, tokens, 0.0, product).answer
            return Decision(False, HOST, suggestion, confidence, "only characters match")
        if runner_up > 0 and best < MARGIN * runner_up:
            suggestion = self._answer(kind, normal, tokens, 0.0, product).answer
            return Decision(False, HOST, suggestion, confidence, "two facts match about as well")
        return self._answer(kind, normal, tokens, confidence, product)

    def _what_is_asked(self, question: str) -> tuple[str, list[str]]:
        """The part of the question that says what is asked, and its tokens: without
        the product's title; when nothing is left, with its words of a value kept;
        when still nothing, the whole question."""
        for asked in (
            self.facts.without_titles(question),
            self.facts.without_titles(question, keep_values=True),
            question,
        ):
            kind_tokens = self.facts.kind_tokens(self.facts.query_tokens(asked))
            if kind_tokens:
                return asked, kind_tokens
        return question, []

    def _product_with(
        self, top: FactKind, scores: np.ndarray, normal: str, tokens: Sequence[str]
    ) -> ProductFact | Literal[False] | None:
        """The product the question is about, given the best kind of fact; False when
        that fact is one the product lacks and no product can stand in for it.

        The best fact one the product lacks is another product's, if only one has it
        and the question did not name a product; this product's own fact only if it
        matches about as well ('袜子是纯棉的吗': 材质 beside 鞋面材质); else the host's
        (never a weaker fact in its place)."""
        product = self.facts.resolve_product(normal, tokens)
        if not top.key.startswith("attr:") or (product is not None and _has(product, top)):
            return product
        holders = [other for other in self.facts.products if _has(other, top)]
        if len(holders) == 1 and not self.facts.names_a_product(normal, tokens):
            return holders[0]
        if product is None:
            return False
        own = float((scores * self.facts.eligible(product, normal)).max())
        return product if own * MARGIN >= float(scores.max()) else False

    def _matched_by_a_word(self, question: str, asked: str, kind: int) -> bool:
        """Whether a whole word of the question, not only characters of a word the room
        does not know ('保真' sharing 保 with 保质期), matches the fact."""
        words = [
            token
            for part in (asked, question)
            for token in self.facts.kind_tokens(self.facts.query_tokens(part, characters=False))
        ]
        return bool(words) and float(self.facts.kind_scores(words)[kind]) > 0

    def _price_or_stock(self, normal: str) -> FactKind | None:
        """ "多少钱" and "还有货吗" are said one way or another: no retrieval needed."""
        compact = re.sub(r"\s+", "", normal)
        price = PRICE_QUESTION.search(compact) is not None
        stock = STOCK_QUESTION.search(compact) is not None or (
            OPTION_AVAILABLE.search(compact) is not None and self._names_an_option(compact)
        )  # '黑色的有吗': a colour or size, and whether there is one
        if price != stock:
            return self.facts.kinds[0] if price else self.facts.kinds[1]
        return None

    def _names_an_option(self, compact: str) -> bool:
        return COLOUR_OR_SIZE.search(compact) is not None or any(
            mentioned_skus(product, compact) for product in self.facts.products
        )

    def _best_answer_kind(self, normal: str) -> Decision | None:
        """A host-only question may still be one the host answered before (qa:)."""
        kinds = self.facts.kinds
        tokens = self.facts.query_tokens(normal)
        answers = [i for i, kind in enumerate(kinds) if kind.key.startswith("qa:")]
        if not tokens or not answers:
            return None
        scores = self.facts.kind_scores(tokens)
        best = max(answers, key=lambda i: scores[i])
        others = max((scores[i] for i in range(len(kinds)) if i != best), default=0.0)
        if scores[best] >= 3 * MIN_SCORE and scores[best] >= MARGIN * others:
            return self._answer(kinds[best], normal, tokens, 1.0)
        return None

    def _answer(
        self,
        kind: FactKind,
        normal: str,
        tokens: Sequence[str],
        confidence: float,
        product: ProductFact | None = None,
    ) -> Decision:
        """The decision for this kind of fact, about ``product`` (by default the one the
        question names, else the pinned one)."""
        if kind.key.startswith(("faq:", "qa:")):
            entries = (
                self.knowledge.faq if kind.key.startswith("faq:") else self.knowledge.host_answers
            )
            entry = _entry(entries, kind.key.split(":", 1)[1])
            return Decision(
                True,
                kind.key,
                entry.answer,
                confidence,
                "the shop's FAQ" if kind.key.startswith("faq:") else "the host's earlier answer",
            )
        product = product or self.facts.resolve_product(normal, tokens)
        if product is None:
            return Decision(False, HOST, None, confidence, "which product is meant is unclear")
        if kind.key in ("price", "stock") and self.facts.names_something_unknown(normal):
            return Decision(
                False, HOST, None, confidence, "it names something the shop does not list"
            )
        if (
            kind.key in ("price", "stock")
            and COLOUR_OR_SIZE.search(normal)
            and not mentioned_skus(product, normal)
        ):
            return Decision(
                False, HOST, None, confidence, "a colour or size the product does not list"
            )
        if kind.key.startswith("attr:") and not self.facts.fits_value(product, tokens):
            return Decision(
                False, HOST, None, confidence, "the words asked are in another product's fact"
            )
        fact, answer = product_fact(product, kind, normal)
        if answer is None:
            return Decision(False, HOST, None, confidence, f"{product.title} has no such fact")
        return Decision(True, fact, answer, confidence, "the product's facts")


def product_fact(product: ProductFact, kind: FactKind, normal: str) -> tuple[str, str | None]:
    """The fact's path on this product and its answer (None: the product lacks it)."""
    if kind.key == "price":
        return f"{product.key}.price", price_answer(product, normal)
    if kind.key == "stock":
        return f"{product.key}.stock", stock_answer(product, normal)
    if kind.key == "brand":
        return (
            f"{product.key}.brand",
            f"{product.title}：品牌 {product.brand}" if product.brand else None,
        )
    name = kind.key.split(":", 1)[1]
    value = product.attributes.get(name)
    answer = f"{product.title}的{name}：{value}" if value else None
    return f"{product.key}.attributes.{name}", answer


def _has(product: ProductFact, kind: FactKind) -> bool:
    return kind.key.split(":", 1)[1] in product.attributes


def _entry(entries: Sequence[FaqFact], key: str) -> FaqFact:
    return next(entry for entry in entries if entry.key == key)


def _label(sku: SkuFact) -> str:
    return " ".join(sku.options.values()) or "默认款"


def price_answer(product: ProductFact, normal: str) -> str | None:
    skus = mentioned_skus(product, normal) or list(product.skus)
    if not skus:
        return None
    low, high = min(s.price for s in skus), max(s.price for s in skus)
    if low == high:
        named = f"（{_label(skus[0])}）" if len(skus) == 1 and len(product.skus) > 1 else ""
        return f"{product.title}{named}现价 {yuan(low)}"
    return f"{product.title}现价 {yuan(low)}–{yuan(high)}，按规格不同"


def stock_answer(product: ProductFact, normal: str) -> str | None:
    if not product.skus:
        return None
    named = mentioned_skus(product, normal)
    if named:
        parts = [
            f"{_label(sku)} 还有 {sku.stock} 件" if sku.stock > 0 else f"{_label(sku)} 已售罄"
            for sku in named
        ]
        return f"{product.title}：" + "，".join(parts)
    available = [sku for sku in product.skus if sku.stock > 0]
    if not available:
        return f"{product.title} 已全部售罄"
    if len(product.skus) == 1:
        return f"{product.title} 有货，还有 {available[0].stock} 件"
    listed = "、".join(_label(sku) for sku in available)
    return f"{product.title} 有货的规格：{listed}"
