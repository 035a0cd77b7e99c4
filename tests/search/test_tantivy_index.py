"""The Tantivy index follows the record across indexes and processes, and is rebuilt
when the record is no longer the one it was built from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from liveshop.catalog.models import Product
from liveshop.core.db import unit_of_work
from liveshop.search import indexer
from liveshop.search.indexer import index_product, remove_document
from liveshop.search.models import DocumentKind, SearchChange, SearchDocument
from liveshop.search.query import forget_vocabularies
from liveshop.search.service import search
from liveshop.search.tantivy_engine import TantivyEngine
from tests.search.helpers import add_product, make_world


@pytest.fixture
def search_engine(tmp_path: Path) -> TantivyEngine:
    """Only Tantivy here (no engine is put in use: each test names its engines)."""
    return TantivyEngine(tmp_path / "index")


def titles(database_url: str, engine: TantivyEngine, query: str) -> list[str]:
    with unit_of_work(database_url, writes=False) as session:
        return [hit.title for hit in search(session, query=query, engine=engine).results]


def rename(database_url: str, product_id: int, title: str) -> None:
    with unit_of_work(database_url) as session:
        product = session.get(Product, product_id)
        assert product is not None
        product.title = title
        index_product(session, product_id=product_id)


def test_two_indexes_on_one_directory_answer_alike(
    database_url: str, search_engine: TantivyEngine
) -> None:
    """Two engines on one directory, as two processes have: whichever asks first
    replays the change, the other reloads what it wrote."""
    forget_vocabularies()
    world = make_world(database_url)
    other = TantivyEngine(search_engine.directory)
    assert titles(database_url, search_engine, "龙井") == ["西湖龙井绿茶 250g"]
    assert titles(database_url, other, "龙井") == ["西湖龙井绿茶 250g"]
    rename(database_url, world.products["tea"], "西湖龙井明前茶 250g")
    assert titles(database_url, other, "明前茶") == ["西湖龙井明前茶 250g"]
    assert titles(database_url, search_engine, "明前茶") == ["西湖龙井明前茶 250g"]
    with unit_of_work(database_url) as session:
        remove_document(session, kind=DocumentKind.PRODUCT, object_id=world.products["tea"])
    assert titles(database_url, search_engine, "龙井") == []
    assert titles(database_url, other, "龙井") == []


def test_another_process_sees_a_change_this_one_replayed(
    database_url: str, search_engine: TantivyEngine
) -> None:
    forget_vocabularies()
    world = make_world(database_url)
    assert titles(database_url, search_engine, "绿茶") == ["西湖龙井绿茶 250g"]
    rename(database_url, world.products["tea"], "西湖龙井红茶 250g")
    assert titles(database_url, search_engine, "红茶") == ["西湖龙井红茶 250g"]
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from liveshop.core.db import unit_of_work\n"
        "from liveshop.search.service import search\n"
        "from liveshop.search.tantivy_engine import TantivyEngine\n"
        "engine = TantivyEngine(Path(sys.argv[2]))\n"
        "with unit_of_work(sys.argv[1], writes=False) as session:\n"
        "    print(json.dumps([[hit.title for hit in search(session, query=word, engine=engine)"
        ".results] for word in ('红茶', '绿茶')]))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script, database_url, str(search_engine.directory)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
        timeout=120,
    )
    assert json.loads(answer.stdout.strip().splitlines()[-1]) == [["西湖龙井红茶 250g"], []]


def test_an_emptied_record_rebuilds_the_index(
    database_url: str, search_engine: TantivyEngine
) -> None:
    """A database emptied or restored numbers its changes from 1 again: the index
    does not mistake the new log for the one it replayed."""
    forget_vocabularies()
    world = make_world(database_url)
    assert titles(database_url, search_engine, "连衣裙") == [
        "法式长款连衣裙",
        "夏季新款碎花连衣裙 女",
    ]
    with unit_of_work(database_url) as session:
        session.execute(delete(SearchDocument))
        session.execute(delete(SearchChange))
    new_id = add_product(database_url, world.merchant, title="碎花半身裙", price=9900)
    with unit_of_work(database_url) as session:
        index_product(session, product_id=new_id)
    assert titles(database_url, search_engine, "连衣裙") == []
    assert titles(database_url, search_engine, "碎花") == ["碎花半身裙"]


def test_rebuild_writes_every_document(database_url: str, search_engine: TantivyEngine) -> None:
    make_world(database_url)
    with unit_of_work(database_url, writes=False) as session:
        documents = session.scalar(select(func.count()).select_from(SearchDocument))
        assert search_engine.index_for(session).rebuild(session) == documents == 6  # 1 shop, 1 room


def test_the_change_log_is_trimmed_and_an_index_behind_it_rebuilds(
    database_url: str, search_engine: TantivyEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log keeps its newest rows only; an index whose watermark fell off the end
    rebuilds from the record and still finds every change."""
    forget_vocabularies()
    world = make_world(database_url)
    assert titles(database_url, search_engine, "龙井") == ["西湖龙井绿茶 250g"]
    monkeypatch.setattr(indexer, "TRIM_EVERY", 1)
    monkeypatch.setattr(indexer, "CHANGES_KEPT", 2)
    for step in range(5):
        rename(database_url, world.products["tea"], f"西湖龙井第{step}批 250g")
    with unit_of_work(database_url, writes=False) as session:
        numbers = session.scalars(select(SearchChange.seq).order_by(SearchChange.seq)).all()
    assert len(numbers) == 2
    assert numbers[-1] - numbers[0] == 1
    assert titles(database_url, search_engine, "龙井") == ["西湖龙井第4批 250g"]
