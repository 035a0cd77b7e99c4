"""Search benchmark: the full-text index beside a plain SQL ``LIKE``, one run.

Generates product titles from Chinese product vocabularies (clothing,
cosmetics, food, electronics, home: brand + descriptive words + colour + noun
+ who it is for + a size or pack), then measures on a freshly migrated
database (SQLite by default, PostgreSQL with ``--database-url``):
- the index build rate: titles segmented with jieba, spelled in pinyin and
  written to ``search_documents`` (the FTS5 triggers or PostgreSQL's generated
  tsvector and its GIN index doing their part), documents per second;
- ``liveshop.search.service.search`` for a mix of queries (words, two words,
  pinyin, homophone typos): p50/p95/p99 latency of the whole answer (count,
  top 20 with the live-room boost, facets) and of the ranked page alone;
- the same words with ``title LIKE '%word%'`` (count and the 20 best sellers),
  and how many queries each way found anything.
Prints JSON.

    nice python benchmarks/search.py                     # 1,000,000 products, SQLite
    nice python benchmarks/search.py --products 100000
    nice python benchmarks/search.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from liveshop.core.db import get_session_factory, unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.search import text as search_text
from liveshop.search.indexer import add_terms
from liveshop.search.models import DocumentKind, SearchDocument
from liveshop.search.query import forget_vocabularies, term_groups, vocabulary
from liveshop.search.service import full_text_match, search

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "女装": {
        "nouns": [
            "连衣裙",
            "T恤",
            "衬衫",
            "牛仔裤",
            "卫衣",
            "外套",
            "羽绒服",
            "半身裙",
            "针织衫",
            "风衣",
            "西装",
            "阔腿裤",
            "睡衣",
            "背心",
            "毛衣",
        ],
        "words": [
            "夏季",
            "秋冬",
            "新款",
            "韩版",
            "宽松",
            "修身",
            "显瘦",
            "碎花",
            "法式",
            "复古",
            "纯棉",
            "真丝",
            "加厚",
            "百搭",
            "高腰",
            "短款",
            "长款",
            "通勤",
            "休闲",
            "冰丝",
        ],
        "for": ["女", "女士", "学生", "妈妈装", "大码"],
        "specs": ["S", "M", "L", "XL", "2XL", "均码"],
    },
    "美妆": {
        "nouns": [
            "口红",
            "粉底液",
            "面膜",
            "精华液",
            "眼霜",
            "防晒霜",
            "洗面奶",
            "卸妆水",
            "爽肤水",
            "乳液",
            "香水",
            "眉笔",
            "睫毛膏",
            "气垫",
            "散粉",
        ],
        "words": [
            "保湿",
            "补水",
            "美白",
            "控油",
            "持久",
            "不脱色",
            "敏感肌",
            "哑光",
            "滋润",
            "清爽",
            "抗皱",
            "提亮",
            "温和",
            "修护",
            "正品",
        ],
        "for": ["女", "男士", "学生党", "孕妇"],
        "specs": ["30ml", "50ml", "100ml", "5片装", "10片装", "3.5g"],
    },
    "食品": {
        "nouns": [
            "坚果",
            "牛肉干",
            "螺蛳粉",
            "辣条",
            "绿茶",
            "红茶",
            "咖啡",
            "蜂蜜",
            "大米",
            "橄榄油",
            "饼干",
            "巧克力",
            "酸奶",
            "腊肠",
            "火锅底料",
        ],
        "words": [
            "即食",
            "零食",
            "特产",
            "礼盒",
            "散装",
            "无糖",
            "低脂",
            "手工",
            "有机",
            "原味",
            "麻辣",
            "香辣",
            "新鲜",
            "整箱",
            "家庭装",
        ],
        "for": ["儿童", "孕妇", "老人", "办公室"],
        "specs": ["250g", "500g", "1kg", "5斤", "12袋", "24盒"],
    },
    "数码": {
        "nouns": [
            "手机壳",
            "数据线",
            "充电宝",
            "蓝牙耳机",
            "充电器",
            "手机",
            "平板",
            "键盘",
            "鼠标",
            "音箱",
            "智能手表",
            "路由器",
            "移动硬盘",
            "自拍杆",
            "手机膜",
        ],
        "words": [
            "快充",
            "无线",
            "降噪",
            "磁吸",
            "大容量",
            "超薄",
            "防摔",
            "钢化",
            "游戏",
            "便携",
            "原装",
            "高清",
            "静音",
            "机械",
            "入耳式",
        ],
        "for": ["苹果", "华为", "小米", "安卓", "学生"],
        "specs": ["1米", "2米", "20000毫安", "128G", "256G", "65W"],
    },
    "家居": {
        "nouns": [
            "收纳盒",
            "四件套",
            "枕头",
            "拖鞋",
            "毛巾",
            "保温杯",
            "电饭煲",
            "空气炸锅",
            "床垫",
            "窗帘",
            "垃圾袋",
            "衣架",
            "被子",
            "地毯",
            "台灯",
        ],
        "words": [
            "家用",
            "加厚",
            "北欧",
            "简约",
            "大号",
            "静音",
            "耐用",
            "全棉",
            "网红",
            "ins风",
            "折叠",
            "防滑",
            "遮光",
            "护眼",
            "多功能",
        ],
        "for": ["卧室", "客厅", "宿舍", "儿童房"],
        "specs": ["1.5米", "1.8米", "10只装", "100只", "5L", "500ml"],
    },
}
BRANDS = [
    "花间集",
    "云朵",
    "小米粒",
    "北极绒",
    "南山",
    "初语",
    "优品",
    "良仓",
    "悦己",
    "木槿",
    "拾光",
    "山野",
    "知味",
    "极客",
    "蓝鲸",
]
COLOURS = ["黑色", "白色", "红色", "藏青", "卡其", "米白", "粉色", "蓝色", "灰色", "绿色"]
HOMOPHONES = {
    "裙": "群",
    "衣": "依",
    "红": "虹",
    "膜": "模",
    "壳": "客",
    "茶": "查",
    "机": "鸡",
    "线": "现",
    "宝": "保",
    "霜": "双",
    "枕": "诊",
    "杯": "悲",
    "锅": "郭",
    "果": "裹",
    "水": "睡",
    "油": "由",
    "粉": "份",
    "巾": "斤",
    "鞋": "协",
    "饼": "并",
}
BATCH = 5000


def make_title(rng: random.Random) -> tuple[str, str]:
    category = rng.choice(list(CATEGORIES))
    words = CATEGORIES[category]
    parts = []
    if rng.random() < 0.6:
        parts.append(rng.choice(BRANDS))
    parts.extend(rng.sample(words["words"], rng.randint(1, 3)))
    if rng.random() < 0.5:
        parts.append(rng.choice(COLOURS))
    parts.append(rng.choice(words["nouns"]))
    if rng.random() < 0.5:
        parts.append(rng.choice(words["for"]))
    if rng.random() < 0.5:
        parts.append(rng.choice(words["specs"]))
    return " ".join(parts) if rng.random() < 0.3 else "".join(parts), category


def build(url: str, products: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    search_text.warm_up()
    started = time.perf_counter()
    cpu_started = time.process_time()
    written = 0
    while written < products:
        size = min(BATCH, products - written)
        rows = []
        vocabulary_batch: dict[str, str] = {}
        for number in range(written, written + size):
            title, category = make_title(rng)
            tokens, words = search_text.index_tokens(title, category)
            vocabulary_batch.update(words)
            rows.append(
                {
                    "kind": DocumentKind.PRODUCT,
                    "object_id": number + 1,
                    "shop_id": rng.randint(1, 2000),
                    "title": title,
                    "category": category,
                    "price_min": rng.randint(100, 200_000),
                    "sales": int(rng.paretovariate(1.2)),
                    "image_url": None,
                    "tokens": tokens,
                    "updated_at": search_text_now(),
                }
            )
        with unit_of_work(url) as session:
            session.execute(insert(SearchDocument), rows)
            add_terms(session, vocabulary_batch)
        written += size
        print(f"\rindexed {written:,} / {products:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    seconds = time.perf_counter() - started
    return {
        "documents": products,
        "seconds": round(seconds, 1),
        "documents_per_second": round(products / seconds),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
    }


def search_text_now() -> Any:
    from liveshop.core.clock import utcnow

    return utcnow()


def make_queries(rng: random.Random, count: int) -> list[dict[str, str]]:
    """Queries as viewers type them; ``like`` is the word a LIKE search would use."""
    queries = []
    nouns = [(noun, category) for category, words in CATEGORIES.items() for noun in words["nouns"]]
    for number in range(count):
        noun, category = rng.choice(nouns)
        shape = number % 4
        if shape == 0:
            query = noun
        elif shape == 1:
            query = f"{rng.choice(CATEGORIES[category]['words'])} {noun}"
        elif shape == 2:
            query = search_text.pinyin_of(noun)
        else:
            typo = next((c for c in noun if c in HOMOPHONES), None)
            query = noun.replace(typo, HOMOPHONES[typo], 1) if typo else noun
        queries.append(
            {
                "query": query,
                "shape": ["word", "two_words", "pinyin", "typo"][shape],
                "like": query.split()[-1],
            }
        )
    return queries


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def timed(run: Callable[[], int], repeat: int = 1) -> tuple[float, int]:
    started = time.perf_counter()
    found = 0
    for _ in range(repeat):
        found = run()
    return (time.perf_counter() - started) / repeat, found


def measure(url: str, queries: list[dict[str, str]], like_queries: int) -> dict[str, Any]:
    factory = get_session_factory(url, writes=False)
    full, ranked, like = [], [], []
    found = {"index": 0, "like": 0, "index_on_like_sample": 0}
    with factory() as session:
        search(session, query="连衣裙")  # warm: vocabulary, caches
        for item in queries:
            seconds, total = timed(lambda item=item: search(session, query=item["query"]).total)
            full.append(seconds)
            found["index"] += total > 0
            seconds, _ = timed(lambda item=item: ranked_page(session, item["query"]))
            ranked.append(seconds)
            if len(like) < like_queries:  # LIKE scans every title: a sample is enough
                seconds, total = timed(lambda item=item: like_search(session, item["like"]))
                like.append(seconds)
                found["like"] += total > 0
                found["index_on_like_sample"] += search(session, query=item["query"]).total > 0
    return {
        "queries": len(queries),
        "index_full_answer": percentiles(full),
        "index_ranked_page_only": percentiles(ranked),
        "like": percentiles(like) | {"queries": len(like)},
        "queries_with_results": found,
    }


def ranked_page(session: Session, query: str) -> int:
    groups = term_groups(query, vocabulary(session))
    if not groups:
        return 0
    match = full_text_match(session, groups)
    rows = session.execute(
        text(
            f"SELECT d.object_id FROM {match.source} WHERE {match.condition} "
            f"AND d.kind = 'PRODUCT' ORDER BY {match.rank} LIMIT 20"
        ),
        match.params,
    ).all()
    return len(rows)


def like_search(session: Session, word: str) -> int:
    pattern = f"%{word}%"
    total = session.execute(
        text("SELECT count(*) FROM search_documents WHERE kind = 'PRODUCT' AND title LIKE :p"),
        {"p": pattern},
    ).scalar_one()
    session.execute(
        text(
            "SELECT object_id FROM search_documents WHERE kind = 'PRODUCT' AND title LIKE :p "
            "ORDER BY sales DESC LIMIT 20"
        ),
        {"p": pattern},
    ).all()
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--like-queries", type=int, default=40, help="LIKE on the first N")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp dir")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = arguments.database_url or f"sqlite:///{Path(scratch) / 'search.db'}"
        if arguments.database_url:
            reset_postgres(url)
        upgrade_database(url)
        forget_vocabularies()
        built = build(url, arguments.products, arguments.seed)
        queries = make_queries(random.Random(arguments.seed + 1), arguments.queries)
        measured = measure(url, queries, arguments.like_queries)
    report = {
        "backend": url.split(":", 1)[0],
        "products": arguments.products,
        "build": built,
        **measured,
        "goal_p99_under_20_ms": measured["index_full_answer"]["p99_ms"] < 20,
        "note": "measured on a shared 2-core machine while other work ran",
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


def reset_postgres(url: str) -> None:
    """Start from an empty schema: the benchmark owns the database it is given."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
