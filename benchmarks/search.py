"""Search benchmark: both full-text engines (Tantivy, the database's own) beside a
plain SQL ``LIKE``, one run.

Generates product titles from Chinese product vocabularies
(``search_titles.py``), then measures on a freshly migrated database (SQLite
by default, PostgreSQL with ``--database-url``):
- the build rates: titles segmented with jieba, spelled in pinyin and written
  to ``search_documents`` (the FTS5 triggers or PostgreSQL's generated tsvector
  and its GIN index doing their part), then the Tantivy index built in bulk
  from ``search_documents``; documents per second;
- ``liveshop.search.service.search`` on each engine for a mix of queries
  (words, two words, pinyin, homophone typos): p50/p95/p99 latency of the
  whole answer (count, top 20 with the live-room boost, facets) and of the
  ranked page alone;
- the same words with ``title LIKE '%word%'`` (count and the 20 best sellers)
  on a sample, and how many queries each way found anything.
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
from search_titles import BRANDS, CATEGORIES, COLOURS, HOMOPHONES
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from liveshop.core.db import get_session_factory, unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.search import text as search_text
from liveshop.search.database_engine import DatabaseEngine
from liveshop.search.engines import FullTextEngine
from liveshop.search.indexer import add_terms
from liveshop.search.models import DocumentKind, SearchDocument
from liveshop.search.query import forget_vocabularies, term_groups, vocabulary
from liveshop.search.service import search
from liveshop.search.tantivy_engine import TantivyEngine

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


def measure_engine(
    url: str, engine: FullTextEngine, queries: list[dict[str, str]]
) -> dict[str, Any]:
    """The whole answer and the ranked page alone, for every query, on one engine."""
    factory = get_session_factory(url, writes=False)
    full, ranked = [], []
    found = 0
    with factory() as session:
        search(session, query="连衣裙", engine=engine)  # warm: vocabulary, caches
        for item in queries:
            seconds, total = timed(
                lambda item=item: search(session, query=item["query"], engine=engine).total
            )
            full.append(seconds)
            found += total > 0
            seconds, _ = timed(lambda item=item: ranked_page(session, engine, item["query"]))
            ranked.append(seconds)
    return {
        "full_answer": percentiles(full),
        "ranked_page_only": percentiles(ranked),
        "queries_with_results": found,
    }


def measure_like(url: str, queries: list[dict[str, str]], count: int) -> dict[str, Any]:
    """LIKE scans every title: a sample of the queries is enough."""
    factory = get_session_factory(url, writes=False)
    like = []
    found = 0
    with factory() as session:
        for item in queries[:count]:
            seconds, total = timed(lambda item=item: like_search(session, item["like"]))
            like.append(seconds)
            found += total > 0
    return percentiles(like) | {"queries": len(like), "queries_with_results": found}


def build_tantivy(url: str, engine: TantivyEngine) -> dict[str, Any]:
    """The Tantivy index built in bulk from ``search_documents`` (the record)."""
    started = time.perf_counter()
    with get_session_factory(url, writes=False)() as session:
        documents = engine.index_for(session).rebuild(session)
    seconds = time.perf_counter() - started
    return {
        "documents": documents,
        "seconds": round(seconds, 1),
        "documents_per_second": round(documents / seconds),
    }


def ranked_page(session: Session, engine: FullTextEngine, query: str) -> int:
    groups = term_groups(query, vocabulary(session))
    if not groups:
        return 0
    return len(engine.ranked_ids(session, groups, kind=DocumentKind.PRODUCT, limit=20))


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
        tantivy = TantivyEngine(Path(scratch) / "tantivy")
        tantivy_built = build_tantivy(url, tantivy)
        queries = make_queries(random.Random(arguments.seed + 1), arguments.queries)
        engines = {
            "tantivy": measure_engine(url, tantivy, queries),
            "database": measure_engine(url, DatabaseEngine(), queries),
        }
        like = measure_like(url, queries, arguments.like_queries)
    report = {
        "backend": url.split(":", 1)[0],
        "products": arguments.products,
        "queries": len(queries),
        "build": {"search_documents": built, "tantivy_from_search_documents": tantivy_built},
        **engines,
        "like": like,
        "goal_p99_under_20_ms": {
            name: measured["full_answer"]["p99_ms"] < 20 for name, measured in engines.items()
        },
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
