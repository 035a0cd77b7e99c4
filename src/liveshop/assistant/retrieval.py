"""Retrieval over one room's knowledge: BM25 (bm25s) over jieba words plus their pinyin,
with the query read as search reads it (pinyin input, homophone typos, near spellings:
:func:`liveshop.search.query.term_groups`).

1. *what* is asked: one document per kind of fact (price, stock, brand, each
   attribute name with the words viewers use for it, each FAQ entry, each of the
   host's earlier answers);
2. *which product*: one document per product (title, brand, category, options),
   or "N号" for the shelf's N-th product, else the pinned one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from liveshop.assistant.knowledge import ProductFact, RoomKnowledge
from liveshop.assistant.lexicon import ATTRIBUTE_SYNONYMS, BRAND_CUES, PRICE_CUES, STOCK_CUES
from liveshop.assistant.question_reading import (
    GENERIC_PHRASES,
    MEASURE_WORDS,
    SHELF_NUMBER,
    STOP_WORDS,
    document_tokens,
    expand_shorthand,
)
from liveshop.search import text
from liveshop.search.query import Vocabulary, term_groups

PRODUCT_MARGIN = 1.5  # the named product must beat the next one by this factor


@dataclass(frozen=True)
class FactKind:
    key: str  # "price", "stock", "brand", "attr:<name>", "faq:<key>", "qa:<key>"
    tokens: tuple[str, ...]


class FactIndex:
    """The room's kinds of fact and products, indexed; build it again when the
    knowledge changes. The first three kinds are always price, stock and brand."""

    def __init__(self, knowledge: RoomKnowledge) -> None:
        self.knowledge = knowledge
        self.kinds = _fact_kinds(knowledge)
        self.products = list(knowledge.products)
        self.vocabulary = Vocabulary()
        words: dict[str, str] = {}
        for kind in self.kinds:
            for token in kind.tokens:
                words.setdefault(token, text.pinyin_of(token))
        for tokens in self.product_tokens:
            for token in tokens:
                words.setdefault(token, text.pinyin_of(token))
        self.vocabulary.load(list(words.items()))
        self._kind_index = _index([list(kind.tokens) for kind in self.kinds])
        self._product_index = _index(self.product_tokens)

    @cached_property
    def product_tokens(self) -> list[list[str]]:
        return [
            document_tokens(
                product.title,
                product.brand,
                product.category,
                " ".join(value for sku in product.skus for value in sku.options.values()),
            )
            for product in self.knowledge.products
        ]

    def query_tokens(self, question: str) -> list[str]:
        expanded = expand_shorthand(question)
        tokens: list[str] = []
        for group in term_groups(expanded, self.vocabulary):
            tokens.extend(token for token in group if token not in STOP_WORDS)
        return tokens

    @cached_property
    def _naming_tokens(self) -> frozenset[str]:
        """Words that say which product (titles, option values), not what is asked."""
        cue_words = {token for kind in self.kinds[:3] for token in kind.tokens}
        cue_words |= set(document_tokens(" ".join(ATTRIBUTE_SYNONYMS.values())))
        cue_words |= set(
            document_tokens(" ".join(p_name for p in self.products for p_name in p.attributes))
        )
        naming = {token for tokens in self.product_tokens for token in tokens}
        return frozenset(naming - cue_words)

    def kind_tokens(self, tokens: Sequence[str]) -> list[str]:
        """The tokens that may say what is asked (not which product)."""
        return [token for token in tokens if token not in self._naming_tokens]

    def kind_scores(self, tokens: list[str]) -> np.ndarray:
        """Each kind of fact's BM25 score for the tokens, in ``kinds`` order."""
        return _scores(self._kind_index, tokens, len(self.kinds))

    def eligible(self, product: ProductFact | None) -> np.ndarray:
        """1 for the kinds of fact that could answer about ``product`` (the shop's FAQ and
        the host's answers always; an attribute only if this product has it), else 0:
        a fact the product does not have is no rival to one it has."""
        if product is None:
            return np.ones(len(self.kinds))
        return np.array(
            [
                1.0
                if not kind.key.startswith("attr:")
                or kind.key.split(":", 1)[1] in product.attributes
                else 0.0
                for kind in self.kinds
            ]
        )

    def names_something_unknown(self, normal: str) -> bool:
        """A Chinese word the room's facts do not use, nor sound like, nor is made of its
        characters ('有没有蚕丝被', '猪肉脯'): the question is about something else.
        Shop words (有货, 多少钱) and measure words are taken out first, so jieba does
        not glue them to the name ('充电宝有货' is not '充电' + '宝有')."""
        stripped = GENERIC_PHRASES.sub(" ", normal)
        for word in text.words(stripped):
            if len(word) < 2 or not text.has_han(word) or word in STOP_WORDS:
                continue
            if word in self.vocabulary.terms or text.pinyin_of(word) in self.vocabulary.by_pinyin:
                continue
            characters = [char for char in word if text.has_han(char) and char not in MEASURE_WORDS]
            known = [char for char in characters if char in self._known_characters]
            if len(known) < len(characters):
                return True
        return False

    @cached_property
    def _known_characters(self) -> frozenset[str]:
        return frozenset(char for term in self.vocabulary.terms if len(term) > 1 for char in term)

    def resolve_product(self, normal: str, tokens: Sequence[str]) -> ProductFact | None:
        """The shelf's N-th product for "N号", else the product the words clearly name,
        else the pinned one; None when two products are named about as much."""
        number = SHELF_NUMBER.search(normal)
        if number and 1 <= int(number.group(1)) <= len(self.products):
            return self.products[int(number.group(1)) - 1]
        if self.products:
            scores = _scores(self._product_index, list(tokens), len(self.products))
            order = np.argsort(-scores)
            best = float(scores[order[0]])
            second = float(scores[order[1]]) if len(order) > 1 else 0.0
            if best > 0 and best >= PRODUCT_MARGIN * second:
                return self.products[int(order[0])]
            if best > 0:
                return None  # two products named about as much: ask the host
        return self.knowledge.pinned()


def _fact_kinds(knowledge: RoomKnowledge) -> list[FactKind]:
    kinds = [
        FactKind("price", tuple(document_tokens(PRICE_CUES))),
        FactKind("stock", tuple(document_tokens(STOCK_CUES))),
        FactKind("brand", tuple(document_tokens(BRAND_CUES))),
    ]
    names = dict.fromkeys(name for p in knowledge.products for name in p.attributes)
    for name in names:
        values = " ".join(p.attributes.get(name, "") for p in knowledge.products)
        synonyms = ATTRIBUTE_SYNONYMS.get(name, "")
        kinds.append(FactKind(f"attr:{name}", tuple(document_tokens(name, name, synonyms, values))))
    for faq in knowledge.faq:
        kinds.append(
            FactKind(
                f"faq:{faq.key}", tuple(document_tokens(faq.question, faq.question, faq.answer))
            )
        )
    for answer in knowledge.host_answers:
        kinds.append(FactKind(f"qa:{answer.key}", tuple(document_tokens(answer.question))))
    return kinds


def _index(corpus: list[list[str]]) -> Any:
    """A bm25s index (imported here: it is not needed until a room has a question)."""
    import bm25s  # type: ignore[import-untyped]

    if not corpus:
        return None
    retriever = bm25s.BM25()
    retriever.index([tokens or ["\u2205"] for tokens in corpus], show_progress=False)
    return retriever


def _scores(index: Any, tokens: list[str], size: int) -> np.ndarray:
    if index is None or not tokens:
        return np.zeros(size)
    known = [token for token in tokens if token in index.vocab_dict]
    if not known:
        return np.zeros(size)
    return np.asarray(index.get_scores(known), dtype=float)
