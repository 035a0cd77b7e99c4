"""Retrieval over one room's knowledge: BM25 (bm25s) over jieba words plus their pinyin,
with the query read as search reads it (pinyin input, homophone typos, near spellings:
:func:`liveshop.search.query.term_groups`), after the room's own words are cut out of
it (pyahocorasick, longest first) and quantities are read as their dimension.

1. *what* is asked: one document per kind of fact (price, stock, brand, each
   attribute name with the words viewers use for it, its values and the dimensions
   of their quantities, each FAQ entry, each of the host's earlier answers), read
   from the question without the stretches it shares with a product's title;
2. *which product*: one document per product (title, brand, category), or "N号"
   for the shelf's N-th product, else the one product with a colour or size the
   question names, else the pinned one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge
from liveshop.assistant.lexicon import (
    ATTRIBUTE_SYNONYMS,
    BRAND_CUES,
    FITS_WORDS,
    POLICY_SYNONYMS,
    PRICE_CUES,
    STOCK_CUES,
    UNIT_DIMENSIONS,
)
from liveshop.assistant.question_reading import (
    FUNCTION_CHARACTERS,
    GENERIC_PHRASES,
    HOST_PERSON,
    MEASURE_WORDS,
    SHELF_NUMBER,
    STOP_WORDS,
    document_tokens,
    expand_shorthand,
    mentioned_skus,
    quantity_tokens,
)
from liveshop.search import text
from liveshop.search.query import Vocabulary, term_groups

PRODUCT_MARGIN = 1.5  # the named product must beat the next one by this factor


@dataclass(frozen=True)
class FactKind:
    key: str  # "price", "stock", "brand", "attr:<name>", "faq:<key>", "qa:<key>"
    tokens: tuple[str, ...]
    about_host: bool = False  # an FAQ entry or earlier answer about the host in person


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

    def query_tokens(self, question: str, *, characters: bool = True) -> list[str]:
        """The question's tokens as the room's facts know them. The room's own words
        are cut out first (longest first: '充电宝' in '充电宝重', which jieba cuts
        '充电' + '宝重'); the rest is read as search reads it (pinyin, typos), and a
        word the room does not know still counts by the characters it shares (unless
        ``characters`` is False: the words alone, and characters that are themselves
        words for a kind of fact: 码 in '选码')."""
        expanded = expand_shorthand(question)
        tokens: list[str] = []
        for piece, known in self._segments(expanded):
            if known:
                if piece not in STOP_WORDS:
                    tokens.extend(dict.fromkeys([piece, text.pinyin_of(piece)]))
                continue
            words = [word for word in text.words(piece) if word not in STOP_WORDS]
            for group in term_groups(" ".join(words), self.vocabulary):
                tokens.extend(group)
            for word in words:
                if text.has_han(word) and not self.vocabulary.knows(word):
                    tokens.extend(
                        char
                        for char in word
                        if char in self._cue_words
                        or (
                            characters
                            and char in self._known_characters
                            and char not in FUNCTION_CHARACTERS
                        )
                    )
        tokens.extend(quantity_tokens(text.normalise(question)))
        return tokens

    @cached_property
    def _room_words(self) -> Any:
        """An Aho-Corasick automaton of the room's Chinese words of two characters or
        more, to cut them out of a question before jieba does."""
        import ahocorasick  # type: ignore[import-not-found]  # the C extension ships no stubs

        automaton = ahocorasick.Automaton()
        for term in self.vocabulary.terms:
            if len(term) > 1 and text.has_han(term):
                automaton.add_word(term, term)
        if len(automaton) == 0:
            return None
        automaton.make_automaton()
        return automaton

    def _segments(self, normal: str) -> list[tuple[str, bool]]:
        """The question cut into the room's known words (True) and the rest (False)."""
        if self._room_words is None:
            return [(normal, False)]
        pieces: list[tuple[str, bool]] = []
        start = 0
        for end, word in self._room_words.iter_long(normal):
            begin = end - len(word) + 1
            if begin > start:
                pieces.append((normal[start:begin], False))
            pieces.append((word, True))
            start = end + 1
        if start < len(normal):
            pieces.append((normal[start:], False))
        return pieces

    def without_titles(self, question: str, *, keep_values: bool = False) -> str:
        """The question with the stretches it shares with a product's title taken out
        ('充电宝重不重' -> ' 重不重'): they say which product, not what is asked. A
        stretch that is itself a word for a kind of fact stays ('支持快充吗' about
        '快充充电宝': titles carry attribute words), and so does one that is a word of
        an attribute's value when ``keep_values`` ('面膜补水吗' about '补水面膜', whose
        功效 says 补水: asked again when nothing else is left). Two characters or more."""
        normal = text.normalise(question)
        kept = self._asking_words | (self._value_words if keep_values else frozenset())
        pieces: list[str] = []
        start = 0
        while start < len(normal):
            length = self._title_stretch(normal, start, kept)
            if length:
                pieces.append(" ")
                start += length
            else:
                pieces.append(normal[start])
                start += 1
        return "".join(pieces)

    def _title_stretch(self, normal: str, start: int, kept: frozenset[str]) -> int:
        """How long the title stretch starting here is (0: none, or one to keep). A
        stretch that ends in a word for a kind of fact keeps that word: Chinese puts the
        head last, so '大容量' asks 容量, where '充电宝' names a thing."""
        for end in range(len(normal), start + 1, -1):
            piece = normal[start:end]
            if text.has_han(piece) and any(piece in title for title in self._titles):
                if piece in kept:
                    return 0
                head = max(
                    (
                        len(word)
                        for word in self._asking_words
                        if len(word) > 1 and piece.endswith(word)
                    ),
                    default=0,
                )
                return end - start - head if end - start - head > 1 else 0
        return 0

    @cached_property
    def _asking_words(self) -> frozenset[str]:
        """The words that say what is asked: attribute names and the words viewers use
        for them, price, stock and brand cues, units."""
        names = {name for product in self.products for name in product.attributes}
        phrases = [PRICE_CUES, STOCK_CUES, BRAND_CUES, *ATTRIBUTE_SYNONYMS, *names]
        phrases += ATTRIBUTE_SYNONYMS.values()
        phrases += [unit for units in UNIT_DIMENSIONS.values() for unit in units]
        return frozenset(word for phrase in phrases for word in phrase.split())

    @cached_property
    def _value_words(self) -> frozenset[str]:
        """The words of the attributes' values ('补水' in 深层补水保湿), and the pairs of
        characters inside their longer words ('沾杯' in 不沾杯)."""
        values = " ".join(
            value for product in self.products for value in product.attributes.values()
        )
        words = {word for word in text.words(values) if len(word) > 1 and text.has_han(word)}
        return frozenset(words | set(_inner_pairs(values)))

    @cached_property
    def _cue_words(self) -> frozenset[str]:
        return self._asking_words | self._value_words

    @cached_property
    def _titles(self) -> list[str]:
        return [text.normalise(product.title) for product in self.products]

    @cached_property
    def _naming_tokens(self) -> frozenset[str]:
        """Words that say which product (titles, option values), not what is asked."""
        cue_words = {token for kind in self.kinds[:3] for token in kind.tokens}
        cue_words |= set(document_tokens(" ".join(ATTRIBUTE_SYNONYMS.values())))
        cue_words |= set(
            document_tokens(" ".join(p_name for p in self.products for p_name in p.attributes))
        )
        cue_words |= {
            spelled for word in self._cue_words for spelled in (word, text.pinyin_of(word))
        }
        naming = {token for tokens in self.product_tokens for token in tokens}
        return frozenset(naming - cue_words)

    def kind_tokens(self, tokens: Sequence[str]) -> list[str]:
        """The tokens that may say what is asked (not which product)."""
        return [token for token in tokens if token not in self._naming_tokens]

    def kind_scores(self, tokens: list[str]) -> np.ndarray:
        """Each kind of fact's BM25 score for the tokens, in ``kinds`` order."""
        return _scores(self._kind_index, tokens, len(self.kinds))

    def eligible(self, product: ProductFact | None, normal: str) -> np.ndarray:
        """1 for the kinds of fact that could answer about ``product``, else 0: the
        shop's FAQ and the host's answers always, an attribute only if this product has
        it (a fact the product does not have is no rival to one it has); an entry about
        the host in person ('主播身高体重') only when the question is about the host."""
        asks_about_host = HOST_PERSON.search(normal) is not None
        return np.array(
            [
                0.0
                if (kind.about_host and not asks_about_host)
                or (
                    product is not None
                    and kind.key.startswith("attr:")
                    and kind.key.split(":", 1)[1] not in product.attributes
                )
                else 1.0
                for kind in self.kinds
            ]
        )

    def fits_value(self, product: ProductFact, tokens: Sequence[str]) -> bool:
        """False when the question names ``product`` by a word of its title, yet other
        words of it are in other products' facts only ('华为手机能用吗' names the phone
        case by 手机, but 华为 is in the power bank's 适用机型): which product is meant
        is unclear. Words of the product's own title or facts do not count ('T恤是纯棉
        的吗' of '纯棉短袖T恤'), nor does anything when no product is named (the pinned
        one is the subject)."""
        own = set(self._name_tokens[self.products.index(product)])
        if not own.intersection(tokens):
            return True
        values = [text.normalise(" ".join(other.attributes.values())) for other in self.products]
        mine = values[self.products.index(product)]
        asked = [
            token
            for token in tokens
            if len(token) > 1 and token in self._value_words and token not in own
        ]
        return all(token in mine or not any(token in v for v in values) for token in asked)

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
        """The shelf's N-th product for "N号", else the product the words clearly name
        (title, brand, category), else the one product with a colour or size the
        question names, else the pinned one; None when two are named about as much."""
        number = SHELF_NUMBER.search(normal)
        if number and 1 <= int(number.group(1)) <= len(self.products):
            return self.products[int(number.group(1)) - 1]
        pinned = self.knowledge.pinned()
        if not self.products:
            return pinned
        scores = self._name_scores(tokens)
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        second = float(scores[order[1]]) if len(order) > 1 else 0.0
        if best > 0:
            # two products named about as much: ask the host
            return self.products[int(order[0])] if best >= PRODUCT_MARGIN * second else None
        # only an option is named ('白色的还有吗'): the pinned product when it has it
        having = [product for product in self.products if mentioned_skus(product, normal)]
        if not having or pinned in having:
            return pinned
        return having[0] if len(having) == 1 else None

    def names_a_product(self, normal: str, tokens: Sequence[str]) -> bool:
        """Whether the question names a product (its shelf number or words of a title,
        brand or category), rather than meaning the pinned one."""
        return SHELF_NUMBER.search(normal) is not None or bool(self._name_scores(tokens).any())

    def _name_scores(self, tokens: Sequence[str]) -> np.ndarray:
        # a measure word ('一袋') names no product
        naming = [token for token in tokens if token not in MEASURE_WORDS]
        return _scores(self._name_index, naming, len(self.products))

    @cached_property
    def _name_tokens(self) -> list[list[str]]:
        return [
            document_tokens(product.title, product.brand, product.category, characters=False)
            for product in self.products
        ]

    @cached_property
    def _name_index(self) -> Any:
        return _index(self._name_tokens)


def _fact_kinds(knowledge: RoomKnowledge) -> list[FactKind]:
    kinds = [
        FactKind("price", tuple(document_tokens(PRICE_CUES))),
        FactKind("stock", tuple(document_tokens(STOCK_CUES))),
        FactKind("brand", tuple(document_tokens(BRAND_CUES))),
    ]
    names = dict.fromkeys(name for p in knowledge.products for name in p.attributes)
    for name in names:
        values = " ".join(p.attributes.get(name, "") for p in knowledge.products)
        # the words for the lexicon's names inside this one ('鞋面材质' -> 材质, '主要成分' -> 成分)
        synonyms = " ".join(words for known, words in ATTRIBUTE_SYNONYMS.items() if known in name)
        if name.startswith(("适用", "适合", "兼容")):
            synonyms += " " + FITS_WORDS
        tokens = document_tokens(name, name, synonyms, values)
        tokens += _inner_pairs(values) + quantity_tokens(values)
        kinds.append(FactKind(f"attr:{name}", tuple(tokens)))
    policies = _policies(knowledge.faq)
    for faq in knowledge.faq:
        kinds.append(
            FactKind(
                f"faq:{faq.key}",
                tuple(document_tokens(faq.question, faq.question, faq.answer, policies[faq.key])),
                about_host=HOST_PERSON.search(text.normalise(faq.question)) is not None,
            )
        )
    for answer in knowledge.host_answers:
        kinds.append(
            FactKind(
                f"qa:{answer.key}",
                tuple(document_tokens(answer.question)),
                about_host=HOST_PERSON.search(text.normalise(answer.question)) is not None,
            )
        )
    return kinds


def _inner_pairs(values: str) -> list[str]:
    """The two-character stretches inside a value's longer words ('不沾杯' -> '不沾',
    '沾杯'): a viewer asks '沾杯吗' of a value that says '不沾杯'."""
    pairs: list[str] = []
    for word in text.words(values):
        if len(word) > 2 and text.has_han(word):
            pairs += [
                word[i : i + 2] for i in range(len(word) - 1) if text.has_han(word[i : i + 2])
            ]
    return pairs


def _policies(faq: Sequence[FaqFact]) -> dict[str, str]:
    """The words viewers use for the policy each entry's question is about, for the
    policies only one entry is about: where several are (a host's correction beside the
    entry it corrects), their own words tell them apart, and the topic's would blur it."""
    topics = {
        entry.key: [
            topic
            for topic in POLICY_SYNONYMS
            if any(word in text.normalise(entry.question) for word in topic.split())
        ]
        for entry in faq
    }
    shared = Counter(topic for found in topics.values() for topic in found)
    return {
        key: " ".join(topic for topic in found if shared[topic] == 1)
        for key, found in topics.items()
    }


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
