"""The index follows the catalogue and the rooms within seconds, through the bus."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from liveshop.catalog import service as catalog
from liveshop.catalog.models import ListingStatus, Product
from liveshop.catalog.schemas import ProductPatch
from liveshop.core.bus import bus
from liveshop.core.db import unit_of_work
from liveshop.search.indexer import SearchIndexer, add_sales, index_product
from liveshop.search.query import forget_vocabularies
from liveshop.search.schemas import SearchSort
from liveshop.search.service import search
from liveshop.wiring import Subscriptions
from tests.search.helpers import add_product, make_world

WITHIN_SECONDS = 5.0


def found(database_url: str, query: str) -> list[str]:
    with unit_of_work(database_url, writes=False) as session:
        return [hit.title for hit in search(session, query=query).results]


def wait_for(database_url: str, query: str, expected: list[str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < WITHIN_SECONDS:
        if found(database_url, query) == expected:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{query!r} found {found(database_url, query)}, not {expected}")


def test_a_new_and_an_edited_product_are_found_within_seconds(database_url: str) -> None:
    forget_vocabularies()
    indexer = SearchIndexer(database_url)
    subscriptions = Subscriptions(bus, indexer.listeners())
    try:
        world = make_world(database_url, index=False)
        new_id = add_product(database_url, world.merchant, title="真丝睡衣套装", price=39900)
        wait_for(database_url, "shuiyi", ["真丝睡衣套装"])
        with unit_of_work(database_url) as session:
            merchant = session.merge(world.merchant)
            catalog.update_product(
                session,
                merchant=merchant,
                product_id=new_id,
                patch=ProductPatch(title="纯棉睡裤"),
            )
        wait_for(database_url, "睡裤", ["纯棉睡裤"])
        assert found(database_url, "真丝睡衣") == []
    finally:
        subscriptions.cancel()


def test_the_api_answers_with_results_facets_and_clear_errors(
    client: TestClient, database_url: str
) -> None:
    forget_vocabularies()
    world = make_world(database_url)
    answer = client.get("/api/search", params={"q": "lianyiqun", "sort": "price_desc"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [hit["title"] for hit in body["results"]] == ["法式长款连衣裙", "夏季新款碎花连衣裙 女"]
    assert body["results"][0]["live_room_id"] == world.room_id
    assert body["facets"]["live_now"] == 1
    shelf = client.get("/api/search", params={"q": "连衣裙", "room_id": world.room_id})
    assert [hit["title"] for hit in shelf.json()["results"]] == ["法式长款连衣裙"]
    rooms = client.get("/api/search", params={"q": "连衣裙", "type": "room"})
    assert [hit["id"] for hit in rooms.json()["results"]] == [world.room_id]
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "type": "video"}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "limit": 500}).status_code == 422


def test_a_committed_change_is_found_by_the_next_query_and_a_removed_one_is_gone(
    database_url: str,
) -> None:
    """Read-your-writes: the index a query asks holds every change committed before it."""
    forget_vocabularies()
    world = make_world(database_url)
    assert found(database_url, "手机壳") == ["iPhone 15 透明手机壳"]
    with unit_of_work(database_url) as session:
        product = session.get(Product, world.products["case"])
        assert product is not None
        product.title = "iPhone 15 防摔手机壳"
        index_product(session, product_id=product.id)
    assert found(database_url, "防摔") == ["iPhone 15 防摔手机壳"]
    with unit_of_work(database_url) as session:
        product = session.get(Product, world.products["dress"])
        assert product is not None
        product.listing_status = ListingStatus.HELD_FOR_REVIEW
        index_product(session, product_id=product.id)
    with unit_of_work(database_url, writes=False) as session:
        out = search(session, query="连衣裙")
    assert [hit.title for hit in out.results] == ["法式长款连衣裙"]
    assert out.total == 1
    assert [(p.min_price, p.max_price, p.count) for p in out.facets.price_ranges] == [
        (20000, 50000, 1)
    ]


def test_sales_move_the_sales_order(database_url: str) -> None:
    forget_vocabularies()
    world = make_world(database_url)
    assert found_sorted(database_url, "连衣裙") == ["夏季新款碎花连衣裙 女", "法式长款连衣裙"]
    with unit_of_work(database_url) as session:
        add_sales(session, sold={world.products["long_dress"]: 3})
    assert found_sorted(database_url, "连衣裙") == ["法式长款连衣裙", "夏季新款碎花连衣裙 女"]


def found_sorted(database_url: str, query: str) -> list[str]:
    with unit_of_work(database_url, writes=False) as session:
        return [hit.title for hit in search(session, query=query, sort=SearchSort.SALES).results]
