"""``liveshop recommend train`` and the scheduled job: the behaviour store and the
catalogue in, a new model version out.

Only viewers who allowed personalisation (privacy's ``personalised_recommendations``
consent) get per-user candidates, and only their rows enter the item-to-item
neighbours and ALS; everyone's events count in the aggregates (popularity of
products and rooms), which name nobody.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published
from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
from implicit.nearest_neighbours import CosineRecommender  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.clock import utcnow
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.live.models import Room
from liveshop.privacy.consents import Purpose, users_with_consent
from liveshop.recommend import model_store
from liveshop.recommend.feedback import Feedback, decayed, product_feedback, room_feedback
from liveshop.recommend.model_store import ModelArtifact

NEIGHBOURS = 20  # per product, for "more like this" and session candidates
CANDIDATES = 100  # per user, re-ranked online
CANDIDATE_BATCH = 4096  # users per sparse block
ALS_POOL = 200  # ALS's own top per user entering the blend
POPULAR_POOL = 200  # the popular head every user's blend sees
ALS_MIN_USERS = 20  # fewer personalised viewers than this: neighbours only
HOSTS_PER_USER = 20
# Blend of the serving hybrid; the shop-log evaluation (liveshop recommend evaluate on
# a simulated log with repeats) chose buy-again first, then neighbours, ALS, popularity.
WEIGHTS = {"buy_again": 1.0, "item_cf": 0.5, "als": 0.25, "popularity": 0.1}

Step = Callable[[str], None]


@dataclass(frozen=True)
class CatalogueItem:
    product_id: int
    shop_id: int
    category: str
    brand: str
    title: str


def published_catalogue(session: Session) -> list[CatalogueItem]:
    """Products buyers can see, in id order."""
    rows = session.execute(
        select(Product.id, Product.shop_id, Product.category, Product.brand, Product.title)
        .where(Product.listing_status == ListingStatus.PUBLISHED)
        .order_by(Product.id)
    ).all()
    return [CatalogueItem(*row) for row in rows]


def personalised_pseudonyms(session: Session, *, secret_key: str) -> set[str]:
    allowed = users_with_consent(session, purpose=Purpose.PERSONALISED_RECOMMENDATIONS)
    return {pseudonymous_id(user_id, secret_key) for user_id in allowed}


def room_hosts(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Room.id, Room.host_id)).tuples().all())


def content_neighbours(
    items: list[CatalogueItem], popularity: npt.NDArray[np.float64], count: int
) -> dict[int, list[int]]:
    """Cold-start neighbours: the most popular products of the same category (same
    brand first)."""
    by_category: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_category.setdefault(item.category, []).append(index)
    result: dict[int, list[int]] = {}
    for members in by_category.values():
        ranked = sorted(members, key=lambda i: -popularity[i])[: count * 3]
        for index in members:
            same = [i for i in ranked if i != index]
            same.sort(key=lambda i: (items[i].brand != items[index].brand, -popularity[i]))
            result[index] = same[:count]
    return result


def fit_neighbours(matrix: sp.csr_matrix, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Item-item cosine (``implicit``), top ``count`` per item, as dense index arrays."""
    items = matrix.shape[1]
    neighbours = np.full((items, count), -1, dtype=np.int32)
    scores = np.zeros((items, count), dtype=np.float32)
    if matrix.nnz == 0:
        return neighbours, scores
    binary = matrix.copy()
    binary.data[:] = 1.0
    model = CosineRecommender(K=count + 1)
    model.fit(binary.tocsr(), show_progress=False)
    similarity = model.similarity.tocsr()
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    for item in range(items):
        start, end = similarity.indptr[item], similarity.indptr[item + 1]
        columns, values = similarity.indices[start:end], similarity.data[start:end]
        order = np.argsort(-values)[:count]
        neighbours[item, : len(order)] = columns[order]
        scores[item, : len(order)] = values[order]
    return neighbours, scores


def _neighbour_matrix(neighbours: np.ndarray, scores: np.ndarray) -> sp.csr_matrix:
    rows = np.repeat(np.arange(neighbours.shape[0]), neighbours.shape[1])
    keep = neighbours.ravel() >= 0
    return sp.csr_matrix(
        (scores.ravel()[keep], (rows[keep], neighbours.ravel()[keep])),
        shape=(neighbours.shape[0], neighbours.shape[0]),
    )


def _scale_sparse_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its maximum (rows of non-negative scores)."""
    matrix = matrix.tocsr().astype(np.float32)
    peaks = np.asarray(matrix.max(axis=1).todense()).ravel()
    peaks[peaks <= 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / peaks) @ matrix)


def fit_candidates(
    history: sp.csr_matrix,
    purchases: sp.csr_matrix,
    popularity: npt.NDArray[np.float64],
    neighbours: np.ndarray,
    neighbour_scores: np.ndarray,
    *,
    count: int = CANDIDATES,
    step: Step = lambda _text: None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Per-user top ``count`` of the hybrid blend, with each candidate's anchor (the
    user's own product most similar to it, or the product itself when re-bought).

    Sparse throughout, so it scales with interactions rather than users x products:
    ALS's own top ``ALS_POOL`` per user (``implicit``'s batched top-k), the products
    next to the user's (neighbours), the user's purchases, and the popular head;
    each part scaled by its row maximum, blended with ``WEIGHTS``.
    """
    users, items = history.shape
    timings: dict[str, float] = {}
    started = time.perf_counter()
    als = None
    if users >= ALS_MIN_USERS and history.nnz:
        with threadpool_limits(1, "blas"):
            als = AlternatingLeastSquares(
                factors=64, regularization=0.05, iterations=15, random_state=7
            )
            als.fit(history.astype(np.float32).tocsr(), show_progress=False)
    timings["als_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    similar = _neighbour_matrix(neighbours, neighbour_scores)  # [had, next to it]
    head = np.argsort(-popularity)[: min(POPULAR_POOL, items)]
    peak = float(popularity.max()) if items else 0.0  # a catalogue with nothing listed yet
    head_scores = (popularity[head] / max(1e-12, peak)).astype(np.float32)
    candidates = np.full((users, count), -1, dtype=np.int32)
    scores = np.zeros((users, count), dtype=np.float32)
    anchors = np.full((users, count), -1, dtype=np.int32)
    for start in range(0, users, CANDIDATE_BATCH):
        end = min(users, start + CANDIDATE_BATCH)
        batch = np.arange(start, end)
        step(f"candidates for viewers {start:,}-{batch[-1]:,} of {users:,}")
        own = history[batch]
        blended = WEIGHTS["item_cf"] * _scale_sparse_rows(own @ similar)
        blended = blended + WEIGHTS["buy_again"] * _scale_sparse_rows(purchases[batch])
        blended = blended + WEIGHTS["popularity"] * sp.csr_matrix(
            (
                np.tile(head_scores, len(batch)),
                np.tile(head, len(batch)),
                np.arange(0, len(batch) * len(head) + 1, len(head)),
            ),
            shape=(len(batch), items),
        )
        if als is not None:
            ids, values = als.recommend(
                batch, own, N=min(ALS_POOL, items), filter_already_liked_items=False
            )
            low = values.min(axis=1, keepdims=True)
            spread = np.maximum(values.max(axis=1, keepdims=True) - low, 1e-12)
            blended = blended + WEIGHTS["als"] * sp.csr_matrix(
                (
                    ((values - low) / spread).ravel(),
                    ids.ravel(),
                    np.arange(0, ids.size + 1, ids.shape[1]),
                ),
                shape=(len(batch), items),
            )
        _top_per_row(blended.tocsr(), candidates[start:end], scores[start:end])
        anchors[start:end] = _anchors(own, neighbours, neighbour_scores, candidates[start:end])
    timings["candidates_seconds"] = time.perf_counter() - started
    return candidates, scores, anchors, timings


def _top_per_row(blended: sp.csr_matrix, candidates: np.ndarray, scores: np.ndarray) -> None:
    count = candidates.shape[1]
    for row in range(blended.shape[0]):
        start, end = blended.indptr[row], blended.indptr[row + 1]
        columns, values = blended.indices[start:end], blended.data[start:end]
        if len(values) > count:
            keep = np.argpartition(-values, count - 1)[:count]
            columns, values = columns[keep], values[keep]
        order = np.lexsort((columns, -values))
        candidates[row, : len(order)] = columns[order]
        scores[row, : len(order)] = values[order]


def _anchors(
    own: sp.csr_matrix, neighbours: np.ndarray, neighbour_scores: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """For each (user, candidate): the user's own product whose neighbour list holds
    the candidate with the highest similarity; the candidate itself when the user
    had it (a re-buy explains itself); -1 when nothing does. Vectorised over users."""
    items = own.shape[1]
    coo = own.tocoo()
    had_keys = np.unique(coo.row.astype(np.int64) * items + coo.col)
    width = neighbours.shape[1]
    user_rows = np.repeat(coo.row.astype(np.int64), width)
    sources = np.repeat(coo.col.astype(np.int64), width)
    targets = neighbours[coo.col].ravel().astype(np.int64)
    strengths = neighbour_scores[coo.col].ravel()
    valid = targets >= 0
    keys = user_rows[valid] * items + targets[valid]
    strongest_first = np.argsort(-strengths[valid], kind="stable")
    order = strongest_first[np.argsort(keys[strongest_first], kind="stable")]
    keys, sources = keys[order], sources[valid][order]
    first = np.concatenate(([True], keys[1:] != keys[:-1])) if len(keys) else keys.astype(bool)
    keys, sources = keys[first], sources[first]
    rows = np.repeat(np.arange(candidates.shape[0], dtype=np.int64), candidates.shape[1])
    wanted = rows * items + candidates.ravel().astype(np.int64)
    anchors = np.full(wanted.shape, -1, dtype=np.int64)
    if len(keys):
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        anchors[found] = sources[at[found]]
    if len(had_keys):
        at = np.minimum(np.searchsorted(had_keys, wanted), len(had_keys) - 1)
        rebought = had_keys[at] == wanted
        anchors[rebought] = candidates.ravel()[rebought]
    anchors[candidates.ravel() < 0] = -1
    return anchors.reshape(candidates.shape).astype(np.int32)


def _matrix(
    rows: list[int],
    columns: list[int],
    weights: np.ndarray,
    shape: tuple[int, int],
) -> sp.csr_matrix:
    matrix = sp.csr_matrix((weights, (rows, columns)), shape=shape)
    matrix.sum_duplicates()
    return matrix


def build_artifact(
    *,
    catalogue: list[CatalogueItem],
    products: Feedback,
    rooms: Feedback,
    hosts: dict[int, int],
    personalised: set[str],
    now: float,
    step: Step = lambda _text: None,
) -> ModelArtifact:
    started = time.perf_counter()
    product_ids = np.asarray([item.product_id for item in catalogue], dtype=np.int64)
    index = {int(pid): i for i, pid in enumerate(product_ids.tolist())}
    weights = decayed(products.weights, products.seconds, now=now)
    popularity = np.zeros(len(catalogue))
    user_index: dict[str, int] = {}
    rows, columns, kept, bought = [], [], [], []
    for user, target, weight, kind in zip(
        products.users, products.targets, weights.tolist(), products.kinds, strict=True
    ):
        item = index.get(target)
        if item is None:
            continue
        popularity[item] += weight  # an aggregate: every viewer counts
        if user not in personalised:
            continue
        rows.append(user_index.setdefault(user, len(user_index)))
        columns.append(item)
        kept.append(weight)
        bought.append(weight if kind == "purchase" else 0.0)  # the buy-again part
    shape = (len(user_index), len(catalogue))
    history = _matrix(rows, columns, np.asarray(kept), shape)
    purchases = _matrix(rows, columns, np.asarray(bought), shape)
    step("item-to-item neighbours")
    neighbours, neighbour_scores = fit_neighbours(history, NEIGHBOURS)
    for item, fallback in content_neighbours(catalogue, popularity, NEIGHBOURS).items():
        filled = int((neighbours[item] >= 0).sum())
        extra = [f for f in fallback if f not in set(neighbours[item, :filled].tolist())]
        extra = extra[: NEIGHBOURS - filled]
        neighbours[item, filled : filled + len(extra)] = extra
        neighbour_scores[item, filled : filled + len(extra)] = 0.01  # weaker than any co-view
    candidates, scores, anchors, timings = fit_candidates(
        history, purchases, popularity, neighbours, neighbour_scores, step=step
    )
    step("rooms and hosts")
    room_weights = decayed(rooms.weights, rooms.seconds, now=now)
    room_popularity: dict[int, float] = {}
    host_affinity: dict[str, dict[int, float]] = {}
    for user, room, weight in zip(rooms.users, rooms.targets, room_weights.tolist(), strict=True):
        room_popularity[room] = room_popularity.get(room, 0.0) + weight
        host = hosts.get(room)
        if host is not None and user in personalised:
            per_user = host_affinity.setdefault(user, {})
            per_user[host] = per_user.get(host, 0.0) + weight
    host_affinity = {
        user: dict(sorted(found.items(), key=lambda kv: -kv[1])[:HOSTS_PER_USER])
        for user, found in host_affinity.items()
    }
    return ModelArtifact(
        product_ids=product_ids,
        neighbours=neighbours,
        neighbour_scores=neighbour_scores,
        popularity=popularity,
        user_ids=list(user_index),
        candidates=candidates,
        candidate_scores=scores,
        candidate_anchors=anchors,
        room_popularity=room_popularity,
        host_affinity=host_affinity,
        meta={
            "trained_at": utcnow().isoformat(),
            "products": len(catalogue),
            "personalised_viewers": len(user_index),
            "product_events": len(products.users),
            "room_events": len(rooms.users),
            "seconds": round(time.perf_counter() - started, 3),
            **{key: round(value, 3) for key, value in timings.items()},
        },
    )


def train(session: Session, settings: Settings, *, step: Step = lambda _text: None) -> str:
    """Read the store and the catalogue, build a model, save it as the new current
    version; returns the version's name. A viewer erased from the moment the training
    starts is left out of the version it saves (the erasure's eraser of events runs
    before the model's, so one erased earlier has no events left to read)."""
    with model_store.erasures_during(settings.home) as erased:
        step("reading the behaviour store")
        store = settings.event_store_path()
        products = product_feedback(store)
        rooms = room_feedback(store)
        step("reading the catalogue and consents")
        secret_key = settings.resolved_secret_key()
        artifact = build_artifact(
            catalogue=published_catalogue(session),
            products=products,
            rooms=rooms,
            hosts=room_hosts(session),
            personalised=personalised_pseudonyms(session, secret_key=secret_key),
            now=time.time(),
            step=step,
        )
        step("saving")
        return model_store.save(settings.home, artifact, erased_since=erased)
