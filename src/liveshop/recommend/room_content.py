"""How well a room's shelf matches what the viewer is interested in.

The viewer's interests are products, each with a weight in 0..1 and the viewer's
own product that explains it: the trained candidates (their scores scaled by the
best; a candidate's anchor is what the viewer watched or bought), and this
session's products (the strongest signal) with their neighbours. A room matches by
the best of its shelf: a product of interest itself, or one of a category the
viewer is interested in (at ``CATEGORY_SHARE`` of that interest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from liveshop.catalog.models import ListingStatus, Product
from liveshop.live.models import ShelfItem
from liveshop.recommend.serving import ServedModel
from liveshop.recommend.sessions import Action

SESSION_INTEREST = 1.0  # a product looked at in this session
SESSION_NEIGHBOUR_INTEREST = 0.6  # next to one (scaled by the similarity)
CATEGORY_SHARE = 0.5  # a shelf product of a category the viewer likes, not the product

# A shelf's products, then which of them are published, in two statements that each
# use their index: joined in one, SQLite's planner (no statistics) walked every
# published product to find the few shelved (tens of ms a call on a 20,000-product
# catalogue: the rooms feed's p99).
SHELVES = select(ShelfItem.room_id, ShelfItem.product_id).where(
    ShelfItem.room_id.in_(bindparam("rooms", expanding=True))
)
PUBLISHED_CATEGORIES = select(Product.id, Product.category).where(
    Product.id.in_(bindparam("ids", expanding=True)),
    Product.listing_status == ListingStatus.PUBLISHED,
)
PRODUCT_FACTS = select(Product.id, Product.category, Product.title).where(
    Product.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class Interest:
    weight: float
    anchor: int | None  # the viewer's product that explains it
    fresh: bool  # from this session


@dataclass(frozen=True)
class RoomMatch:
    weight: float  # 0..1
    anchor_title: str  # "" when nothing the viewer did names it
    fresh: bool


def _keep(interests: dict[int, Interest], product_id: int, interest: Interest) -> None:
    known = interests.get(product_id)
    if known is None or interest.weight > known.weight:
        interests[product_id] = interest


def _trained(served: ServedModel, viewer: str, interests: dict[int, Interest]) -> None:
    model, row = served.model, served.users.get(viewer)
    if model is None or row is None:
        return
    scores = model.candidate_scores[row]
    peak = float(scores.max()) if len(scores) else 0.0
    if peak <= 0:
        return
    for item, score, anchor in zip(
        model.candidates[row].tolist(),
        scores.tolist(),
        model.candidate_anchors[row].tolist(),
        strict=True,
    ):
        if item >= 0:
            explained = int(model.product_ids[anchor]) if anchor >= 0 else None
            _keep(interests, int(model.product_ids[item]), Interest(score / peak, explained, False))


def _fresh(served: ServedModel, actions: list[Action], interests: dict[int, Interest]) -> None:
    model = served.model
    for action in actions:
        if action.product_id is None:
            continue
        _keep(interests, action.product_id, Interest(SESSION_INTEREST, action.product_id, True))
        item = served.index.get(action.product_id)
        if model is None or item is None:
            continue
        for neighbour, score in zip(
            model.neighbours[item].tolist(), model.neighbour_scores[item].tolist(), strict=True
        ):
            if neighbour >= 0:
                weight = SESSION_NEIGHBOUR_INTEREST * min(1.0, 0.5 + score)
                close = Interest(weight, action.product_id, True)
                _keep(interests, int(model.product_ids[neighbour]), close)


def viewer_interests(
    served: ServedModel, viewer: str, actions: list[Action]
) -> dict[int, Interest]:
    interests: dict[int, Interest] = {}
    _trained(served, viewer, interests)
    _fresh(served, actions, interests)
    return interests


def _facts(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """product id -> (category, title)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(PRODUCT_FACTS, {"ids": wanted}).tuples()
    return {product_id: (category, title) for product_id, category, title in rows}


def _shelves(session: Session, room_ids: list[int]) -> list[tuple[int, int, str]]:
    """(room id, product id, category) of the rooms' published shelf products."""
    shelved = session.execute(SHELVES, {"rooms": room_ids}).tuples().all()
    if not shelved:
        return []
    ids = sorted({product_id for _room_id, product_id in shelved})
    categories = dict(session.execute(PUBLISHED_CATEGORIES, {"ids": ids}).tuples().all())
    return [
        (room_id, product_id, categories[product_id])
        for room_id, product_id in shelved
        if product_id in categories
    ]


def match_rooms(
    session: Session, *, room_ids: list[int], interests: dict[int, Interest]
) -> dict[int, RoomMatch]:
    """room id -> how well its shelf matches ``interests`` (rooms without a match are
    absent)."""
    if not interests or not room_ids:
        return {}
    anchors = {i.anchor for i in interests.values() if i.anchor is not None}
    facts = _facts(session, [*interests, *anchors])
    liked: dict[str, Interest] = {}
    for product_id, interest in interests.items():
        category = facts.get(product_id, ("", ""))[0]
        if category:
            share = Interest(interest.weight * CATEGORY_SHARE, interest.anchor, interest.fresh)
            if category not in liked or share.weight > liked[category].weight:
                liked[category] = share
    best: dict[int, Interest] = {}
    for room_id, product_id, category in _shelves(session, room_ids):
        for found in (interests.get(product_id), liked.get(category)):
            if found is not None and (room_id not in best or found.weight > best[room_id].weight):
                best[room_id] = found
    return {
        room_id: RoomMatch(
            interest.weight,
            facts.get(interest.anchor, ("", ""))[1] if interest.anchor is not None else "",
            interest.fresh,
        )
        for room_id, interest in best.items()
    }
