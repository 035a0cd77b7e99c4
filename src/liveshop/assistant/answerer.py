"""From a question to a cited fact, or to the host.

Two retrievals over the room's knowledge, both BM25 (bm25s) over jieba words
plus their pinyin, with the query read as search reads it (pinyin input,
homophone typos, near spellings: :func:`liveshop.search.query.term_groups`):

1. *what* is asked: one document per kind of fact (price, stock, brand, each
   attribute name with the words viewers use for it, each FAQ entry, each of the
   host's earlier answers);
2. *which product*: one document per product (title, brand, category, options,
   attribute values), or "N号" for the shelf's N-th product, else the pinned one.

It answers only when the best kind of fact scores clearly above the runner-up
and the product it is about has that fact; otherwise the host gets the question
with the best guess as a suggestion. Prices and stock are read from the
knowledge handed in, which the live room builds at the moment of answering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge, SkuFact
from liveshop.assistant.lexicon import (
    ATTRIBUTE_SYNONYMS,
    BRAND_CUES,
    PRICE_CUES,
    SHORTHAND,
    STOCK_CUES,
)
from liveshop.search import text
from liveshop.search.query import Vocabulary, term_groups

MIN_SCORE = 1.0  # below this the best fact is a coincidence of common words
MARGIN = 2.0  # the best fact must beat the runner-up by this factor (tuned on questions.csv)
PRODUCT_MARGIN = 1.5
HOST = "host"

HOST_ONLY = re.compile(
    r"主播.{0,4}(多高|多重|几斤|体重|身高|穿的|用的|用什么|吃的|家|睡|皮肤|宝宝|孩子)|便宜点|便宜.{0,3}块|少点|"
    r"再便宜|能不能送|能送|送个|比.{0,6}(好|哪个)|哪个好|区别|下一|下次|下场|明天|几点|什么时候(上|出|有|开|抽)|"
    r"抽奖|秒杀|新款|团购|国外|海外|货到付款|分开买|各一|试(一下|色|穿|戴|吃|用)|再试",
)
GENERIC_WORDS = frozenset(
    [
        "多少",
        "多少钱",
        "价格",
        "有货",
        "还有",
        "没有",
        "有没有",
        "库存",
        "卖完",
        "现货",
        "怎么",
        "什么",
        "现在",
        "今天",
        "一下",
        "请问",
        "这个",
        "那个",
        "还剩",
        "几件",
        "几个",
        "一个",
        "颜色",
        "尺码",
        "码数",
        "规格",
        "型号",
        "还有没有",
        "有货没",
    ]
)
GENERIC_PHRASES = re.compile(
    r"还有没有|有没有货|有没有|有货|没货|还有|多少钱|多少|价格|库存|卖完|现货|还剩|请问|一下"
)
MEASURE_WORDS = frozenset("一两这那条个件盒包袋款支瓶只套双子儿")  # and suffixes
SHELF_NUMBER = re.compile(r"(\d{1,2})\s*号")
ELIGIBLE_ONLY = False  # rivals are facts of the product asked about
CHARACTERS = True  # single characters of words count too ('辣' in '辣不辣')
STOP_WORDS = frozenset(
    [
        "什么",
        "啥",
        "哪些",
        "主播",
        "怎么",
        "怎样",
        "如何",
        "吗",
        "嘛",
        "么",
        "呢",
        "啊",
        "呀",
        "吧",
        "了",
        "的",
        "啦",
        "哦",
        "哈",
        "嗯",
        "请问",
        "想问",
        "问下",
        "一下",
        "姐妹",
        "姐妹们",
        "家人",
        "家人们",
        "宝宝们",
        "这个",
        "那个",
        "这款",
        "那款",
        "是",
        "有",
        "我",
        "你",
        "他",
        "她",
        "们",
        "能",
        "可以",
        "会",
        "要",
        "想",
        "和",
        "还是",
        "ma",
        "ne",
        "ba",
        "a",
        "ya",
        "la",
        "le",
        "de",
        "me",
        "is",
        "it",
        "the",
        "a",
        "an",
        "of",
        "for",
        "do",
        "you",
        "can",
        "i",
        "to",
    ]
)
_SHORTHAND_PATTERN = re.compile(
    r"(?<![a-z])("
    + "|".join(sorted(map(re.escape, SHORTHAND), key=len, reverse=True))
    + r")(?![a-z])"
)
PRICE_QUESTION = re.compile(
    r"多少钱|价格|价钱|几块|多钱|啥价|什么价|单价|到手价|售价|多少米|duoshaoqian|jiage"
)
STOCK_QUESTION = re.compile(
    r"有货|还有|库存|没货|卖完|售罄|断货|现货|还剩|抢完|拍完|有没有货|youhuo"
)
COLOUR_OR_SIZE = re.compile(
    r"[红黑白蓝绿粉灰黄紫橙棕]色|(?<![a-z0-9])(xxs|xs|s|m|l|xl|xxl|xxxl|[2-5]xl)(?![a-z0-9])|\d{2,3}码"
)


@dataclass(frozen=True)
class Decision:
    """``fact`` is a path: ``<product>.price``, ``<product>.stock``, ``<product>.brand``,
    ``<product>.attributes.<name>``, ``faq:<key>``, ``qa:<key>``, or ``host``."""

    answered: bool
    fact: str
    answer: str | None  # posted when answered; the suggestion to the host otherwise
    confidence: float
    reason: str


def expand_shorthand(question: str) -> str:
    return _SHORTHAND_PATTERN.sub(lambda match: SHORTHAND[match.group(1)], text.normalise(question))


def document_tokens(*texts: str) -> list[str]:
    tokens: list[str] = []
    for piece in texts:
        for word in text.index_words(piece):
            tokens.append(word)
            if text.has_han(word):
                tokens.append(text.pinyin_of(word))
                if CHARACTERS and len(word) > 1:
                    tokens.extend(char for char in word if text.has_han(char))
    return tokens


@dataclass(frozen=True)
class FactKind:
    key: str  # "price", "stock", "brand", "attr:<name>", "faq:<key>", "qa:<key>"
    tokens: tuple[str, ...]


def yuan(minor: int) -> str:
    return f"¥{minor // 100}" if minor % 100 == 0 else f"¥{minor // 100}.{minor % 100:02d}"


class RoomAnswerer:
    """Answers for one room's knowledge; build it again when the knowledge changes."""

    def __init__(self, knowledge: RoomKnowledge) -> None:
        self.knowledge = knowledge
        self.kinds = self._fact_kinds()
        self.products = list(knowledge.products)
        self.vocabulary = Vocabulary()
        words: dict[str, str] = {}
        for kind in self.kinds:
            for token in kind.tokens:
                words.setdefault(token, text.pinyin_of(token))
        for tokens in self._product_tokens:
            for token in tokens:
                words.setdefault(token, text.pinyin_of(token))
        self.vocabulary.load(list(words.items()))
        self._kind_index = _index([list(kind.tokens) for kind in self.kinds])
        self._product_index = _index(self._product_tokens)

    def _fact_kinds(self) -> list[FactKind]:
        kinds = [
            FactKind("price", tuple(document_tokens(PRICE_CUES))),
            FactKind("stock", tuple(document_tokens(STOCK_CUES))),
            FactKind("brand", tuple(document_tokens(BRAND_CUES))),
        ]
        names = dict.fromkeys(name for p in self.knowledge.products for name in p.attributes)
        for name in names:
            values = " ".join(p.attributes.get(name, "") for p in self.knowledge.products)
            synonyms = ATTRIBUTE_SYNONYMS.get(name, "")
            kinds.append(
                FactKind(f"attr:{name}", tuple(document_tokens(name, name, synonyms, values)))
            )
        for faq in self.knowledge.faq:
            kinds.append(
                FactKind(
                    f"faq:{faq.key}", tuple(document_tokens(faq.question, faq.question, faq.answer))
                )
            )
        for answer in self.knowledge.host_answers:
            kinds.append(FactKind(f"qa:{answer.key}", tuple(document_tokens(answer.question))))
        return kinds

    @cached_property
    def _product_tokens(self) -> list[list[str]]:
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
        naming = {token for tokens in self._product_tokens for token in tokens}
        return frozenset(naming - cue_words)

    def _kind_tokens(self, tokens: Sequence[str]) -> list[str]:
        return [token for token in tokens if token not in self._naming_tokens]

    def decide(self, question: str) -> Decision:
        normal = expand_shorthand(question)
        if HOST_ONLY.search(normal):
            remembered = self._best_answer_kind(normal)
            if remembered is None:
                return Decision(False, HOST, None, 0.0, "only the host can answer this")
            return remembered
        tokens = self.query_tokens(question)
        shortcut = self._price_or_stock(normal)
        if shortcut is not None:
            return self._answer(shortcut, normal, tokens, 1.0)
        kind_tokens = self._kind_tokens(tokens)
        if not kind_tokens or not self.kinds:
            return Decision(
                False, HOST, None, 0.0, "no word of the question is in the shop's facts"
            )
        scores = _scores(self._kind_index, kind_tokens, len(self.kinds))
        if ELIGIBLE_ONLY:
            scores = scores * self._eligible(self.resolve_product(normal, tokens))
        order = np.argsort(-scores)
        best, runner_up = (
            float(scores[order[0]]),
            float(scores[order[1]]) if len(order) > 1 else 0.0,
        )
        kind = self.kinds[int(order[0])]
        confidence = best / (best + runner_up) if best > 0 else 0.0
        if best < MIN_SCORE:
            return Decision(False, HOST, None, confidence, "no fact matches well enough")
        if runner_up > 0 and best < MARGIN * runner_up:
            suggestion = self._render_guess(kind, normal, tokens)
            return Decision(False, HOST, suggestion, confidence, "two facts match about as well")
        return self._answer(kind, normal, tokens, confidence)

    def _eligible(self, product: ProductFact | None) -> np.ndarray:
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

    def _price_or_stock(self, normal: str) -> FactKind | None:
        """ "多少钱" and "还有货吗" are said one way or another: no retrieval needed."""
        compact = re.sub(r"\s+", "", normal)
        price = PRICE_QUESTION.search(compact) is not None
        stock = STOCK_QUESTION.search(compact) is not None
        if price != stock:
            return self.kinds[0] if price else self.kinds[1]
        return None

    def _best_answer_kind(self, normal: str) -> Decision | None:
        """A host-only question may still be one the host answered before (qa:)."""
        tokens = self.query_tokens(normal)
        answers = [i for i, kind in enumerate(self.kinds) if kind.key.startswith("qa:")]
        if not tokens or not answers:
            return None
        scores = _scores(self._kind_index, tokens, len(self.kinds))
        best = max(answers, key=lambda i: scores[i])
        others = max((scores[i] for i in range(len(self.kinds)) if i != best), default=0.0)
        if scores[best] >= 3 * MIN_SCORE and scores[best] >= MARGIN * others:
            return self._answer(self.kinds[best], normal, tokens, 1.0)
        return None

    def _names_something_unknown(self, normal: str) -> bool:
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

    # --- which product ---

    def resolve_product(self, normal: str, tokens: Sequence[str]) -> ProductFact | None:
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

    # --- answers ---

    def _answer(
        self, kind: FactKind, normal: str, tokens: Sequence[str], confidence: float
    ) -> Decision:
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
        product = self.resolve_product(normal, tokens)
        if product is None:
            return Decision(False, HOST, None, confidence, "which product is meant is unclear")
        if kind.key in ("price", "stock") and self._names_something_unknown(normal):
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
        fact, answer = self._product_fact(product, kind, normal)
        if answer is None:
            return Decision(False, HOST, None, confidence, f"{product.title} has no such fact")
        return Decision(True, fact, answer, confidence, "the product's facts")

    def _render_guess(self, kind: FactKind, normal: str, tokens: Sequence[str]) -> str | None:
        decision = self._answer(kind, normal, tokens, 0.0)
        return decision.answer

    def _product_fact(
        self, product: ProductFact, kind: FactKind, normal: str
    ) -> tuple[str, str | None]:
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


def _entry(entries: Sequence[FaqFact], key: str) -> FaqFact:
    return next(entry for entry in entries if entry.key == key)


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


def mentioned_skus(product: ProductFact, normal: str) -> list[SkuFact]:
    """The SKUs whose every named option the question mentions ('蓝色l' -> 蓝色, L)."""
    compact = re.sub(r"\s+", "", normal)
    matched = []
    for sku in product.skus:
        values = [text.normalise(value) for value in sku.options.values()]
        hits = [value for value in values if _mentions(compact, value)]
        if hits:
            matched.append((len(hits), sku))
    if not matched:
        return []
    most = max(count for count, _ in matched)
    return [sku for count, sku in matched if count == most]


def _mentions(compact: str, value: str) -> bool:
    if value in compact:
        if value.isascii() and value.isalnum():
            # 'l' must not match inside 'xl', nor '15' inside '15pro'
            pattern = r"(?<![a-z0-9])" + re.escape(value) + r"(?![a-z0-9])"
            return re.search(pattern, compact) is not None
        return True
    stem = value.rstrip("色码号")
    return (len(stem) >= 2 and stem in compact) or (
        len(stem) == 1 and not stem.isascii() and stem + "色" in compact
    )


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
