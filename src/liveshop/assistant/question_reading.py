"""Reading a chat question before any retrieval: shorthand expanded, words and their
pinyin and characters, and the patterns that say what kind of question it is (price,
stock, a colour or size, one only the host can answer, a shelf number) and which
SKUs it names. Documents are cut into tokens the same way, so both sides meet."""

from __future__ import annotations

import re

from liveshop.assistant.knowledge import ProductFact, SkuFact
from liveshop.assistant.lexicon import DIMENSION_QUESTIONS, SHORTHAND, UNIT_DIMENSIONS
from liveshop.search import text

HOST_ONLY = re.compile(
    r"主播.{0,4}(多高|多重|几斤|体重|身高|穿|用的|用什么|吃的|戴|家|睡|皮肤|肤质|脚|宝宝|孩子)|"
    r"便宜点|便宜.{0,3}块|少点|"
    r"再便宜|能不能送|能送|送个|比.{0,6}(好|哪个)|哪个好|区别|下一|下次|下场|明天|几点|什么时候(上|出|有|开|抽)|"
    r"抽奖|秒杀|新款|团购|国外|海外|货到付款|分开买|各一|试(一下|色|穿|戴|吃|用)|再试",
)
HOST_PERSON = re.compile(r"主播|播主|你(的)?(身高|体重|多高|多重)")  # the host in person
GENERIC_PHRASES = re.compile(
    r"还有没有|有没有货|有没有|有货|没货|还有|多少钱|多少|价格|库存|卖完|现货|还剩|请问|一下"
)
# Characters that say nothing of a fact alone: not counted when a word the room does
# not know is read by its characters ('用能' is not 适用 + 能源).
FUNCTION_CHARACTERS = frozenset(
    "用个的得地好不没能会要想让给把被在是有吗呢吧啊了这那就都也还很太一二三四五六七八九十百千万两半"
)
MEASURE_WORDS = frozenset("一两这那条个件盒包袋款支瓶只套双子儿")  # and suffixes
SHELF_NUMBER = re.compile(r"(\d{1,2})\s*号")
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
        "多少",  # asks a quantity: the unit or the word beside it says which
        "几",
        "不",  # a trailing 不 or 没 asks ('能用不'), it says nothing of the fact
        "没",
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
    r"(?<![a-z0-9])("  # after a number, 'cm' is centimetres, not 尺码
    + "|".join(sorted(map(re.escape, SHORTHAND), key=len, reverse=True))
    + r")(?![a-z])"
)
PRICE_QUESTION = re.compile(
    r"多少钱|价格|价钱|几块|多钱|啥价|什么价|单价|到手价|售价|多少米|duoshaoqian|jiage"
)
STOCK_QUESTION = re.compile(
    r"有货|还有|库存|没货|卖完|售罄|断货|现货|还剩|抢完|拍完|有没有货|youhuo"
)
OPTION_AVAILABLE = re.compile(r"有吗|有没|有木有|有么")
COLOUR_OR_SIZE = re.compile(
    r"[红黑白蓝绿粉灰黄紫橙棕]色|(?<![a-z0-9])(xxs|xs|s|m|l|xl|xxl|xxxl|[2-5]xl)(?![a-z0-9])|\d{2,3}码"
)


# "A不A" / "A没A" asks whether A ('弹不弹', '重不重', 'la bu la'): read as A, so the
# word is not split by the negation ('宝重' + '不重') nor taken for a negative fact.
A_NOT_A = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1|\b([a-z]+) (?:bu|mei) \2\b")
_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万半几]+|多少)"
_UNIT_DIMENSION = {
    unit: dimension for dimension, units in UNIT_DIMENSIONS.items() for unit in units
}
_QUANTITY = re.compile(
    _NUMBER
    + r"\s*("
    + "|".join(sorted(map(re.escape, _UNIT_DIMENSION), key=len, reverse=True))
    + r")(?![a-z])"
)
_DIMENSION_QUESTIONS = {
    dimension: re.compile(pattern) for dimension, pattern in DIMENSION_QUESTIONS.items()
}


def expand_shorthand(question: str) -> str:
    """The question normalised, chat shorthand read as Chinese, "A不A" read as A."""
    expanded = _SHORTHAND_PATTERN.sub(
        lambda match: SHORTHAND[match.group(1)], text.normalise(question)
    )
    return A_NOT_A.sub(lambda match: match.group(1) or match.group(2), expanded)


def quantity_tokens(piece: str) -> list[str]:
    """One marker per dimension of quantity the text states or asks for ('20000mah',
    '多少毫安' -> 量:电量; '330g', '多重' -> 量:重量), so a question for a quantity finds
    the fact that states it in any unit spelling."""
    piece = text.normalise(piece)
    found = [_UNIT_DIMENSION[match.group(1)] for match in _QUANTITY.finditer(piece)]
    found += [dimension for dimension, asked in _DIMENSION_QUESTIONS.items() if asked.search(piece)]
    return list(dict.fromkeys(found))


def document_tokens(*texts: str, characters: bool = CHARACTERS) -> list[str]:
    """Words (jieba's search mode), the pinyin of the Chinese ones of two characters or
    more (one character has too many homophones) and, unless ``characters`` is False,
    the characters of the longer words."""
    tokens: list[str] = []
    for piece in texts:
        for word in text.index_words(piece):
            tokens.append(word)
            if text.has_han(word) and len(word) > 1:
                tokens.append(text.pinyin_of(word))
                if characters:
                    tokens.extend(char for char in word if text.has_han(char))
    return tokens


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
