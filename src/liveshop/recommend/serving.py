"""Serving: precomputed candidates from the current model, then an online re-rank
(session, context, availability, diversity caps), each item with its reason.

Everything heavy is in the model (``training.py``); a request does three small
indexed queries (consent, the candidates' catalogue rows, the room's shelf) and
array look-ups.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.errors import InvalidInput, NotFound
from liveshop.live.service import get_room
from liveshop.live.shelf import shelf
from liveshop.recommend import model_store
from liveshop.recommend.model_store import ModelArtifact
from liveshop.recommend.reasons import sentence
from liveshop.recommend.sessions import Action

logger = logging.getLogger(__name__)

# One statement, compiled once: an expanding IN binds the ids without re-building SQL.
PUBLISHED_ROWS = select(Product.id, Product.title, Product.shop_id, Product.category).where(
    Product.id.in_(bindparam("ids", expanding=True)),
    Product.listing_status == ListingStatus.PUBLISHED,
)
RELOAD_CHECK_SECONDS = 2.0  # a new or rolled-back version is served within this
SESSION_WEIGHT = 2.0  # this session's actions outrank the trained profile
CONTEXT_WEIGHT = 3.0  # "more like this" on a product page is about that product
POPULAR_SHARE = 0.3  # popularity's part of any score
POPULAR_POOL = 60
SHELF_ORDER_STEP = 1e-4  # per shelf position: smaller than any popularity or personal score
# The reasons that come from the viewer's own behaviour (a shelf product keeps them).
PERSONAL_REASONS = frozenset(
    {"because_you_watched", "because_you_just_looked_at", "buy_again", "picked_for_you"}
)


@dataclass(frozen=True)
class Context:
    kind: str  # home, room or product
    target_id: int | None = None


def parse_context(text: str) -> Context:
    kind, _, target = text.partition(":")
    if kind == "home" and not target:
        return Context("home")
    if kind in ("room", "product") and target.isdigit() and 0 < int(target) < 2**62:
        return Context(kind, int(target))
    raise InvalidInput("context is home, room:ID or product:ID")


@dataclass
class Scored:
    product_id: int
    score: float
    reason: str
    anchor: int | None = None  # a product id the reason names


@dataclass(frozen=True)
class ProductPick:
    product_id: int
    title: str
    shop_id: int
    category: str
    score: float
    reason: str  # the English sentence
    reason_kind: str  # reasons.ENGLISH's key, for pages in other languages
    reason_subject: str


@dataclass(frozen=True)
class ServedModel:
    """One version as served: the model and the lookup tables made from it. A request
    takes one (:meth:`ModelCache.served`) and reads only it, so nothing it answers
    mixes two versions, and it names the version it used."""

    version: str | None = None
    stamp: tuple[int, int] | None = None
    model: ModelArtifact | None = None
    index: Mapping[int, int] = field(default_factory=dict)  # product id -> row
    users: Mapping[str, int] = field(default_factory=dict)  # pseudonym -> row
    popular: tuple[tuple[int, float], ...] = ()  # (product id, share of the top)


def _serve(version: str, stamp: tuple[int, int], model: ModelArtifact) -> ServedModel:
    return ServedModel(
        version,
        stamp,
        model,
        index={int(p): i for i, p in enumerate(model.product_ids.tolist())},
        users={u: i for i, u in enumerate(model.user_ids) if u},
        popular=_popular_head(model),
    )


class ModelCache:
    """The current model of a ``LIVESHOP_HOME``, reloaded when ``CURRENT`` changes or
    an erasure rewrites the served version.

    One request at a time checks for a new version and loads it; the others are
    meanwhile served the version already loaded (none waits for the load, none loads
    it again), except before the first load, when there is nothing to serve and they
    wait for it. A loaded version replaces the served one in a single assignment.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self._loading = threading.Lock()
        self._first_check = threading.Event()
        self._checked = -math.inf
        self._served = ServedModel()

    def served(self) -> ServedModel:
        # Until the first check is over, every request checks (and waits for it): the
        # clock's reading alone can be taken before the first check stamps ``_checked``
        # and compared after, which skipped the check and served no model at all.
        if not self._first_check.is_set() or time.monotonic() - self._checked >= (
            RELOAD_CHECK_SECONDS
        ):
            self._refresh()
        return self._served

    def _refresh(self) -> None:
        if not self._loading.acquire(blocking=not self._first_check.is_set()):
            return  # another request is checking: serve the loaded version meanwhile
        try:
            self._checked = time.monotonic()
            version = model_store.current_version(self.home)
            stamp = model_store.stamp(self.home, version) if version else None
            served = self._served
            if (version, stamp) == (served.version, served.stamp):
                return
            # The stamp is read before the load: an erasure in between stamps the
            # version again, and the next check loads it once more.
            if version is None or stamp is None:
                self._served = ServedModel()
            else:
                self._served = _serve(version, stamp, model_store.load(self.home, version))
        except (OSError, ValueError, KeyError, NotFound):  # pruned meanwhile, unreadable
            logger.exception("recommendation model not reloaded; serving %s", self._served.version)
        finally:
            self._first_check.set()
            self._loading.release()


def _add(
    found: dict[int, Scored], product_id: int, score: float, reason: str, anchor: int | None = None
) -> None:
    known = found.get(product_id)
    if known is None:
        found[product_id] = Scored(product_id, score, reason, anchor)
        return
    # The stronger source counts whole and gives the reason; the weaker adds half.
    stronger, weaker = max(score, known.score), min(score, known.score)
    if score > known.score:
        known.reason, known.anchor = reason, anchor
    known.score = stronger + weaker * 0.5


def _add_shelf_item(found: dict[int, Scored], product_id: int, score: float) -> None:
    """A product of the room's shelf. The shelf's weight puts it above anything off the
    shelf, so it cannot say why one shelf product comes before another: the viewer's own
    signal that lifted it keeps its reason (a product they bought, or one like those
    they watched); otherwise it is there for being on the shelf."""
    known = found.get(product_id)
    own = (known.reason, known.anchor) if known and known.reason in PERSONAL_REASONS else None
    _add(found, product_id, score, "on_the_shelf")
    if own is not None:
        found[product_id].reason, found[product_id].anchor = own


def _popular_head(model: ModelArtifact) -> tuple[tuple[int, float], ...]:
    """The most popular products, once per model (not per request)."""
    top = np.argsort(-model.popularity, kind="stable")[:POPULAR_POOL]
    peak = float(model.popularity[top[0]]) if len(top) and model.popularity[top[0]] > 0 else 1.0
    return tuple(
        (int(model.product_ids[item]), float(model.popularity[item]) / peak)
        for item in top.tolist()
    )


def _popular(served: ServedModel, found: dict[int, Scored]) -> None:
    for product_id, share in served.popular:
        _add(found, product_id, POPULAR_SHARE * share, "popular")


def _neighbours_of(
    served: ServedModel,
    model: ModelArtifact,
    product_id: int,
    weight: float,
    reason: str,
    found: dict[int, Scored],
) -> None:
    item = served.index.get(product_id)
    if item is None:
        return
    for neighbour, score in zip(
        model.neighbours[item].tolist(), model.neighbour_scores[item].tolist(), strict=True
    ):
        if neighbour >= 0:
            _add(
                found, int(model.product_ids[neighbour]), weight * (0.5 + score), reason, product_id
            )


def _personal(
    served: ServedModel, model: ModelArtifact, viewer: str, found: dict[int, Scored]
) -> None:
    row = served.users.get(viewer)
    if row is None:
        return
    for item, score, anchor in zip(
        model.candidates[row].tolist(),
        model.candidate_scores[row].tolist(),
        model.candidate_anchors[row].tolist(),
        strict=True,
    ):
        if item < 0:
            continue
        product_id = int(model.product_ids[item])
        if anchor == item:
            _add(found, product_id, float(score), "buy_again")
        elif anchor >= 0:
            _add(
                found,
                product_id,
                float(score),
                "because_you_watched",
                int(model.product_ids[anchor]),
            )
        else:
            _add(found, product_id, float(score), "picked_for_you")


def candidate_products(
    session: Session,
    *,
    served: ServedModel,
    context: Context,
    viewer: str | None,
    actions: list[Action],
) -> dict[int, Scored]:
    """Every source's candidates with a score and a reason (``viewer`` is None when
    the ranking must not be personal)."""
    found: dict[int, Scored] = {}
    model = served.model
    if model is not None:
        _popular(served, found)
        if viewer is not None:
            _personal(served, model, viewer, found)
            for age, action in enumerate(a for a in actions if a.product_id):
                assert action.product_id is not None
                _neighbours_of(
                    served,
                    model,
                    action.product_id,
                    SESSION_WEIGHT / (1 + age),
                    "because_you_just_looked_at",
                    found,
                )
        if context.kind == "product" and context.target_id is not None:
            _neighbours_of(served, model, context.target_id, CONTEXT_WEIGHT, "similar_to", found)
    if context.kind == "room" and context.target_id is not None:
        get_room(session, room_id=context.target_id)  # 404 for a room that does not exist
        # The host's order breaks ties: without a model or a personal signal the shelf
        # keeps the order the host gave it.
        for position, item in enumerate(shelf(session, room_id=context.target_id)):
            _add_shelf_item(found, item.id, CONTEXT_WEIGHT - SHELF_ORDER_STEP * position)
    if context.kind == "product" and context.target_id is not None:
        found.pop(context.target_id, None)
    return found


def rank_products(
    session: Session,
    found: dict[int, Scored],
    *,
    limit: int,
    max_per_shop: int,
    max_per_category: int,
) -> list[ProductPick]:
    """Published products only, best first, with no more than ``max_per_shop`` of one
    shop or ``max_per_category`` of one category (later ones wait below)."""
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.product_id))[: limit * 4]
    wanted = {s.product_id for s in ranked} | {s.anchor for s in ranked if s.anchor}
    rows = {row.id: row for row in session.execute(PUBLISHED_ROWS, {"ids": sorted(wanted)})}
    picks: list[ProductPick] = []
    held: list[ProductPick] = []
    shops: dict[int, int] = {}
    categories: dict[str, int] = {}
    for scored in ranked:
        row = rows.get(scored.product_id)
        if row is None:
            continue
        pick = ProductPick(
            row.id,
            row.title,
            row.shop_id,
            row.category,
            round(scored.score, 4),
            *_reason(scored, row.category, rows),
        )
        over = (
            shops.get(row.shop_id, 0) >= max_per_shop
            or categories.get(row.category, 0) >= max_per_category
        )
        if over:
            held.append(pick)
            continue
        picks.append(pick)
        shops[row.shop_id] = shops.get(row.shop_id, 0) + 1
        categories[row.category] = categories.get(row.category, 0) + 1
        if len(picks) == limit:
            break
    return (picks + held)[:limit]


def _reason(scored: Scored, category: str, rows: Mapping[int, Any]) -> tuple[str, str, str]:
    """(sentence, kind, subject)."""
    anchor = rows.get(scored.anchor) if scored.anchor else None
    kind, subject = scored.reason, ""
    if kind in ("because_you_watched", "because_you_just_looked_at", "similar_to"):
        subject = getattr(anchor, "title", "")
        kind = kind if subject else "picked_for_you"
    elif kind == "popular" and category:
        kind, subject = "popular_in", category
    return sentence(kind, subject), kind, subject
