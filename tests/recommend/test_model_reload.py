"""Serving while a new model version is published: every answer comes from one
version, whole, and says which; a request does not wait for another's load of a
newer version (it is served the one it has); a version is loaded once however many
requests find it at the same moment.

Two hand-made versions of the same five products in opposite orders, so a lookup
table of one applied to the arrays of the other names a product neither version
puts next to the page's product.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.recommend import model_store, serving
from liveshop.recommend.model_store import ModelArtifact
from liveshop.recommend.service import Recommendations, recommend_products
from tests.conftest import MakeAccount
from tests.recommend.helpers import merchants, product

CALLS_PER_READER = 150


@dataclass(frozen=True)
class Versions:
    page: int  # the product whose "more like this" is asked
    similar: dict[str, int]  # version -> the product it puts next to the page's


def _artifact(order: list[int], next_to: dict[int, int]) -> ModelArtifact:
    """``order``: the product ids as the version lays them out; each product's one
    neighbour from ``next_to``."""
    position = {pid: i for i, pid in enumerate(order)}
    count = len(order)
    return ModelArtifact(
        product_ids=np.asarray(order, dtype=np.int64),
        neighbours=np.asarray([[position[next_to[pid]]] for pid in order], dtype=np.int32),
        neighbour_scores=np.full((count, 1), 0.5, dtype=np.float32),
        popularity=np.zeros(count),
        user_ids=[],
        candidates=np.full((0, 1), -1, dtype=np.int32),
        candidate_scores=np.zeros((0, 1), dtype=np.float32),
        candidate_anchors=np.full((0, 1), -1, dtype=np.int32),
    )


@pytest.fixture
def versions(database_url: str, settings: Settings, make_account: MakeAccount) -> Versions:
    shops = merchants(make_account, 5)
    page, a, b, x, y = (
        product(database_url, shop, f"Item {i}", f"category {i}") for i, shop in enumerate(shops)
    )
    others = {a: x, b: x, x: y, y: x}
    model_store.save(settings.home, _artifact([page, a, b, x, y], {page: a, **others}))
    model_store.save(settings.home, _artifact([y, x, b, a, page], {page: b, **others}))
    return Versions(page, {"v0001": a, "v0002": b})


def _similar(database_url: str, engine: Recommendations, page: int) -> tuple[str | None, list[int]]:
    with unit_of_work(database_url, writes=False) as session:
        answer = recommend_products(
            session, engine=engine, viewer=None, context=f"product:{page}", limit=5
        )
    similar = [item.product_id for item in answer.items if item.reason_kind == "similar_to"]
    return answer.model_version, similar


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads switch far more often than every 5 ms, as on a loaded server."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("busy_switching")
def test_every_answer_is_one_version_while_versions_change(
    versions: Versions,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "RELOAD_CHECK_SECONDS", 0.0)
    engine = Recommendations(home=settings.home, secret_key=settings.resolved_secret_key())
    done = threading.Event()
    mixed: list[tuple[str | None, list[int]]] = []
    failures: list[BaseException] = []

    def flip() -> None:
        while not done.is_set():
            for version in ("v0001", "v0002"):
                model_store.rollback(settings.home, to=version)
                time.sleep(0.001)

    def read() -> None:
        try:
            for _ in range(CALLS_PER_READER):
                version, similar = _similar(database_url, engine, versions.page)
                if version is None or similar != [versions.similar[version]]:
                    mixed.append((version, similar))
        except BaseException as error:  # an index of one version past another's arrays
            failures.append(error)

    flipper = threading.Thread(target=flip)
    readers = [threading.Thread(target=read) for _ in range(3)]
    flipper.start()
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    done.set()
    flipper.join()
    assert failures == []
    assert mixed == []


def test_a_request_is_served_the_loaded_version_while_another_loads_the_next(
    versions: Versions,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "RELOAD_CHECK_SECONDS", 0.0)
    engine = Recommendations(home=settings.home, secret_key=settings.resolved_secret_key())
    assert _similar(database_url, engine, versions.page)[0] == "v0002"
    model_store.rollback(settings.home)  # v0001 is published; its load is slow
    loads: list[str] = []
    release = threading.Event()
    load = model_store.load

    def slow_load(home: object, version: str) -> ModelArtifact:
        loads.append(version)
        release.wait(timeout=30)
        return load(settings.home, version)

    monkeypatch.setattr(model_store, "load", slow_load)
    answers: dict[str, tuple[str | None, list[int]]] = {}

    def ask(name: str) -> None:
        answers[name] = _similar(database_url, engine, versions.page)

    loader = threading.Thread(target=ask, args=("loader",))
    loader.start()
    while not loads:
        time.sleep(0.005)
    others = [threading.Thread(target=ask, args=(f"other {i}",)) for i in range(3)]
    for other in others:
        other.start()
    for other in others:
        other.join(timeout=5)
    waited = [other.name for other in others if other.is_alive()]
    release.set()
    loader.join()
    for other in others:
        other.join()
    assert waited == []  # nobody waited for the load in flight
    for i in range(3):
        assert answers[f"other {i}"] == ("v0002", [versions.similar["v0002"]])
    assert answers["loader"] == ("v0001", [versions.similar["v0001"]])
    assert loads == ["v0001"]  # loaded once
    assert _similar(database_url, engine, versions.page)[0] == "v0001"
    assert loads == ["v0001"]
