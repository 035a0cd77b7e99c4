"""What the product page shows, gathered from the domains that own each part.

:func:`more_like_this` is the one place the page asks for similar products: the
recommender's ranking for the product (what ``GET /api/recommendations/products``
answers for ``product:ID``), topped up with the same category, each product with its
reason in the page's language: the API's reason for a ranked one, the category for a
top-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.models import ListingStatus, Product, Sku
from liveshop.catalog.schemas import ProductOut
from liveshop.catalog.shops import get_shop
from liveshop.live.models import Room, RoomStatus, ShelfItem
from liveshop.recommend.service import Recommendations, recommend_products
from liveshop.reviews import queries as reviews
from liveshop.reviews.schemas import ProductReviewsOut
from liveshop.web.feeds import ReplayView, reason_text, replay_views

PRICE_LOW_DAYS = 30  # "lowest price in 30 days", as the pricing rules read it
ROOMS_SHOWN = 6
SIMILAR_SHOWN = 6
REVIEWS_SHOWN = 10


@dataclass(frozen=True)
class SkuView:
    id: int
    label: str
    price: int
    stock: int
    lowest_30_days: int


@dataclass(frozen=True)
class RoomView:
    id: int
    title: str
    host: str
    live: bool
    scheduled_at: datetime | None


@dataclass(frozen=True)
class SimilarView:
    id: int
    title: str
    image: str | None
    min_price: int
    reason: str  # why it is shown, in the page's language


@dataclass(frozen=True)
class Similar:
    """A product to show beside another, and why: a reason kind of the recommender's
    (``recommend.reasons``) or ``same_category``, and its subject."""

    product_id: int
    reason_kind: str
    reason_subject: str


@dataclass(frozen=True)
class ProductPage:
    product: ProductOut
    shop_id: int
    shop_name: str
    follows_shop: bool
    skus: list[SkuView]
    lowest_30_days: int
    rooms: list[RoomView]
    replays: list[ReplayView]  # ended shows that sold it, to watch again
    reviews: ProductReviewsOut
    similar: list[SimilarView]


def _sku_label(sku: Sku) -> str:
    options = " / ".join(f"{value}" for value in sku.options.values())
    return options or sku.code


def rooms_selling(session: Session, *, product_id: int, limit: int = ROOMS_SHOWN) -> list[RoomView]:
    """Rooms with the product on their shelf: live ones first, then scheduled ones by
    start time (those without a time last)."""
    rows = session.execute(
        select(Room, User.username)
        .join(ShelfItem, ShelfItem.room_id == Room.id)
        .join(User, User.id == Room.host_id)
        .where(
            ShelfItem.product_id == product_id,
            Room.status.in_([RoomStatus.LIVE, RoomStatus.SCHEDULED]),
        )
        .order_by(Room.id.desc())
        .limit(limit * 4)
    ).all()
    views = [
        RoomView(room.id, room.title, host, room.status is RoomStatus.LIVE, room.scheduled_at)
        for room, host in rows
    ]
    views.sort(
        key=lambda view: (
            not view.live,
            view.scheduled_at is None,
            view.scheduled_at.timestamp() if view.scheduled_at else 0.0,
        )
    )
    return views[:limit]


def _same_category(session: Session, *, product: Product, limit: int) -> list[int]:
    """Published products of ``product``'s category, in stock first, newest first."""
    if not product.category:
        return []
    ids = session.scalars(
        select(Product.id)
        .where(
            Product.category == product.category,
            Product.id != product.id,
            Product.listing_status == ListingStatus.PUBLISHED,
        )
        .order_by(Product.id.desc())
        .limit(limit * 4)
    ).all()
    stocked = set(
        session.scalars(select(Sku.product_id).where(Sku.product_id.in_(ids), Sku.stock > 0))
    )
    return sorted(ids, key=lambda pid: pid not in stocked)[:limit]  # stable: newest first


def _views(
    session: Session, similar: list[Similar], translate: Callable[[str], str]
) -> list[SimilarView]:
    """``similar`` in that order, those still published only."""
    product_ids = [item.product_id for item in similar]
    found = {
        product.id: product
        for product in session.scalars(
            select(Product).where(
                Product.id.in_(product_ids), Product.listing_status == ListingStatus.PUBLISHED
            )
        )
    }
    prices: dict[int, int] = {}
    for sku in session.scalars(select(Sku).where(Sku.product_id.in_(found))):
        prices[sku.product_id] = min(prices.get(sku.product_id, sku.price), sku.price)
    return [
        SimilarView(
            item.product_id,
            found[item.product_id].title,
            found[item.product_id].images[0] if found[item.product_id].images else None,
            prices.get(item.product_id, 0),
            reason_text(item.reason_kind, item.reason_subject, translate),
        )
        for item in similar
        if item.product_id in found
    ]


def more_like_this(
    session: Session,
    *,
    product: Product,
    viewer: User | None,
    engine: Recommendations | None,
    limit: int = SIMILAR_SHOWN,
) -> list[Similar]:
    """Products to show beside ``product``: the recommender's ranking for it, through
    the function the API answers with (so the page and the API agree, reasons too), then
    published products of the same category while there are fewer than ``limit`` (no
    model trained yet, or a product the model does not know)."""
    picked: list[Similar] = []
    if engine is not None:
        ranked = recommend_products(
            session, engine=engine, viewer=viewer, context=f"product:{product.id}", limit=limit
        )
        picked = [
            Similar(item.product_id, item.reason_kind, item.reason_subject) for item in ranked.items
        ]
    if len(picked) < limit:
        shown = {item.product_id for item in picked}
        extra = _same_category(session, product=product, limit=limit + len(picked))
        picked += [
            Similar(pid, "same_category", product.category) for pid in extra if pid not in shown
        ][: limit - len(picked)]
    return picked


def product_page(
    session: Session,
    *,
    viewer: User | None,
    product_id: int,
    engine: Recommendations | None,
    translate: Callable[[str], str],
) -> ProductPage:
    """``engine`` is the app's recommendations (None: the same category only);
    ``translate`` is the page's gettext."""
    product = catalog.get_visible_product(session, user=viewer, product_id=product_id)
    shop = get_shop(session, shop_id=product.shop_id)
    skus = [
        SkuView(
            sku.id,
            _sku_label(sku),
            sku.price,
            sku.stock,
            catalog.lowest_price_in_days(session, sku_id=sku.id, days=PRICE_LOW_DAYS),
        )
        for sku in catalog.skus_of(session, product_id=product.id)
    ]
    return ProductPage(
        product=catalog.product_out(session, product),
        shop_id=shop.id,
        shop_name=shop.name,
        follows_shop=viewer is not None
        and catalog.follows_shop(session, user_id=viewer.id, shop_id=shop.id),
        skus=skus,
        lowest_30_days=min((sku.lowest_30_days for sku in skus), default=0),
        rooms=rooms_selling(session, product_id=product.id),
        replays=replay_views(session, limit=ROOMS_SHOWN, product_id=product.id),
        reviews=reviews.product_reviews(
            session,
            product_id=product.id,
            shop_id=shop.id,
            viewer=viewer,
            limit=REVIEWS_SHOWN,
        ),
        similar=_views(
            session,
            more_like_this(session, product=product, viewer=viewer, engine=engine),
            translate,
        ),
    )
