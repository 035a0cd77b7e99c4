from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from liveshop.core.db import unit_of_work
from liveshop.search.query import forget_vocabularies
from liveshop.search.schemas import SearchFilters, SearchSort, SearchType
from liveshop.search.service import search
from tests.search.helpers import World, make_world


@pytest.fixture
def world(database_url: str) -> World:
    forget_vocabularies()
    return make_world(database_url)


def titles(database_url: str, query: str, **options: object) -> list[str]:
    with unit_of_work(database_url, writes=False) as session:
        return [hit.title for hit in search(session, query=query, **options).results]  # type: ignore[arg-type]


def test_chinese_words_find_products_and_the_live_one_comes_first(
    database_url: str, world: World
) -> None:
    assert titles(database_url, "连衣裙") == ["法式长款连衣裙", "夏季新款碎花连衣裙 女"]


@pytest.mark.parametrize("query", ["lianyiqun", "连衣群", "lianyiqum", "连衣裙 ", "连衣裙！"])
def test_pinyin_and_typos_find_the_word(database_url: str, world: World, query: str) -> None:
    assert set(titles(database_url, query)) == {"法式长款连衣裙", "夏季新款碎花连衣裙 女"}


def test_words_are_anded_and_attributes_count(database_url: str, world: World) -> None:
    assert titles(database_url, "纯棉 连衣裙") == ["夏季新款碎花连衣裙 女"]
    assert titles(database_url, "手机壳") == ["iPhone 15 透明手机壳"]
    assert titles(database_url, "IPHONE") == ["iPhone 15 透明手机壳"]
    assert titles(database_url, "完全无关的东西xyzzy") == []


def test_filters_sorting_and_facets(database_url: str, world: World) -> None:
    cheap = SearchFilters(max_price=20000)
    assert titles(database_url, "连衣裙", filters=cheap) == ["夏季新款碎花连衣裙 女"]
    assert titles(database_url, "连衣裙", filters=SearchFilters(live_now=True)) == [
        "法式长款连衣裙"
    ]
    assert titles(database_url, "连衣裙", sort=SearchSort.PRICE_ASC) == [
        "夏季新款碎花连衣裙 女",
        "法式长款连衣裙",
    ]
    assert titles(database_url, "连衣裙", filters=SearchFilters(category="食品")) == []
    with unit_of_work(database_url, writes=False) as session:
        out = search(session, query="连衣裙")
    assert out.total == 2
    assert [(f.value, f.count) for f in out.facets.categories] == [("女装", 2)]
    assert [(f.label, f.count) for f in out.facets.shops] == [("merchant_mei's shop", 2)]
    assert [(p.min_price, p.max_price, p.count) for p in out.facets.price_ranges] == [
        (10000, 20000, 1),
        (20000, 50000, 1),
    ]
    assert out.facets.live_now == 1
    assert out.results[0].live_room_id == world.room_id
    assert out.results[1].live_room_id is None


def test_rooms_selling_a_matching_product_and_shops(database_url: str, world: World) -> None:
    with unit_of_work(database_url, writes=False) as session:
        rooms = search(session, query="连衣裙", kind=SearchType.ROOM)
        by_name = search(session, query="夏装", kind=SearchType.ROOM)
        shops = search(session, query="龙井", kind=SearchType.SHOP)
        nothing = search(session, query="龙井", kind=SearchType.ROOM)
    assert [(hit.id, hit.status, hit.matching_products) for hit in rooms.results] == [
        (world.room_id, "live", 1)
    ]
    assert [hit.id for hit in by_name.results] == [world.room_id]
    assert [hit.title for hit in shops.results] == ["merchant_mei's shop"]
    assert nothing.results == []


def _session_search(session: Session, query: str) -> list[str]:
    return [hit.title for hit in search(session, query=query).results]
