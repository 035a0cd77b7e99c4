"""Shops, products, SKUs, stock and price history. Services flush; callers commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import access
from liveshop.catalog.access import LISTING_REVIEWER_ROLES as LISTING_REVIEWER_ROLES
from liveshop.catalog.access import MERCHANT_ROLES as MERCHANT_ROLES
from liveshop.catalog.copy_review import ProductCopy, review_copy
from liveshop.catalog.events import ProductChanged, ShopChanged
from liveshop.catalog.models import (
    ListingStatus,
    PriceChange,
    Product,
    Shop,
    ShopFollower,
    Sku,
)
from liveshop.catalog.schemas import (
    CopyFindingOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    SkuIn,
    SkuOut,
    SkuPatch,
)
from liveshop.catalog.shops import get_shop
from liveshop.catalog.shops import shop_of as shop_of
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class ProductNotPublished(Conflict):
    code = "product_not_published"


def ensure_shop(session: Session, *, merchant: User) -> Shop:
    """The merchant's shop (or the one they staff), created on their first product call."""
    access.require_merchant(merchant)
    shop = shop_of(session, user=merchant)
    if shop is None:
        shop = Shop(owner_id=merchant.id, name=f"{merchant.username}'s shop")
        session.add(shop)
        session.flush()
        publish_after_commit(session, ShopChanged(shop_id=shop.id))
    return shop


def can_manage_shop(session: Session, *, user: User, shop_id: int) -> bool:
    """``access.can_manage_shop`` under the name other domains call."""
    return access.can_manage_shop(session, actor=user, shop_id=shop_id)


def _add_sku(session: Session, *, product: Product, sku_in: SkuIn | SkuPatch, position: int) -> Sku:
    sku = Sku(
        product_id=product.id,
        code=sku_in.code or f"P{product.id}-{position + 1}",
        options=sku_in.options or {},
        price=sku_in.price if sku_in.price is not None else 0,
        stock=sku_in.stock if sku_in.stock is not None else 0,
        position=position,
    )
    session.add(sku)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"SKU code {sku.code!r} is used twice", code="duplicate_sku_code") from error
    session.add(PriceChange(sku_id=sku.id, price=sku.price))
    return sku


def create_product(session: Session, *, merchant: User, body: ProductIn) -> Product:
    shop = ensure_shop(session, merchant=merchant)
    product = Product(
        shop_id=shop.id,
        title=body.title.strip(),
        description=body.description,
        category=body.category,
        brand=body.brand,
        attributes=body.attributes,
        images=[str(url) for url in body.images],
        currency=body.currency,
    )
    review_copy(product)
    session.add(product)
    session.flush()
    for position, sku_in in enumerate(body.sku_list()):
        _add_sku(session, product=product, sku_in=sku_in, position=position)
    session.flush()
    publish_after_commit(session, ProductChanged(product_id=product.id, shop_id=shop.id))
    return product


def get_product(session: Session, *, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found", code="product_not_found")
    return product


def _managed_product(session: Session, *, user: User, product_id: int) -> Product:
    product = get_product(session, product_id=product_id)
    access.require_shop_manager(session, actor=user, shop_id=product.shop_id)
    return product


def update_product(
    session: Session, *, merchant: User, product_id: int, patch: ProductPatch
) -> Product:
    product = _managed_product(session, user=merchant, product_id=product_id)
    copy_before = ProductCopy.of(product)
    for field in ("title", "description", "category", "brand", "attributes"):
        value = getattr(patch, field)
        if value is not None:
            setattr(product, field, value)
    if ProductCopy.of(product) != copy_before:
        review_copy(product)
    if patch.images is not None:
        product.images = [str(url) for url in patch.images]
    existing = {sku.id: sku for sku in skus_of(session, product_id=product.id)}
    for sku_patch in patch.skus or []:
        if sku_patch.id is None:
            if sku_patch.price is None:
                raise InvalidInput("a new SKU needs a price", code="sku_price_missing")
            _add_sku(session, product=product, sku_in=sku_patch, position=len(existing))
            continue
        sku = existing.get(sku_patch.id)
        if sku is None:
            raise NotFound(f"SKU {sku_patch.id} is not a SKU of product {product.id}")
        _patch_sku(session, sku=sku, patch=sku_patch)
    product.updated_at = utcnow()
    session.flush()
    publish_after_commit(session, ProductChanged(product_id=product.id, shop_id=product.shop_id))
    return product


def _patch_sku(session: Session, *, sku: Sku, patch: SkuPatch) -> None:
    if patch.code is not None:
        sku.code = patch.code
    if patch.options is not None:
        sku.options = patch.options
    if patch.stock is not None:
        sku.stock = patch.stock
    if patch.price is not None and patch.price != sku.price:
        sku.price = patch.price
        session.add(PriceChange(sku_id=sku.id, price=patch.price))


def skus_of(session: Session, *, product_id: int) -> Sequence[Sku]:
    return session.scalars(
        select(Sku).where(Sku.product_id == product_id).order_by(Sku.position, Sku.id)
    ).all()


def get_published_product(session: Session, *, product_id: int) -> Product:
    """A product buyers may see, pin and buy; a held one is a Conflict that says why."""
    product = get_product(session, product_id=product_id)
    if product.listing_status is not ListingStatus.PUBLISHED:
        raise ProductNotPublished(
            f"product {product.id} is held for a moderator's review of its copy: "
            "it cannot be shown or sold until it is approved"
        )
    return product


def _find_sku(session: Session, *, sku_id: int) -> Sku:
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFound(f"SKU {sku_id} not found", code="sku_not_found")
    return sku


def get_sku(session: Session, *, sku_id: int) -> Sku:
    """A SKU that may be sold: its product is published. Orders, flash sales and
    draws load their SKUs here, so a held product is never sold."""
    sku = _find_sku(session, sku_id=sku_id)
    get_published_product(session, product_id=sku.product_id)
    return sku


def get_visible_product(session: Session, *, user: User | None, product_id: int) -> Product:
    """The product as ``user`` may see it: a held product looks absent to others."""
    product = get_product(session, product_id=product_id)
    if product.listing_status is not ListingStatus.PUBLISHED and not access.can_see_held_product(
        session, actor=user, product=product
    ):
        raise NotFound(f"product {product_id} not found", code="product_not_found")
    return product


def product_out(session: Session, product: Product) -> ProductOut:
    skus = skus_of(session, product_id=product.id)
    return ProductOut(
        id=product.id,
        shop_id=product.shop_id,
        title=product.title,
        description=product.description,
        category=product.category,
        brand=product.brand,
        attributes=product.attributes,
        images=product.images,
        currency=product.currency,
        skus=[
            SkuOut(id=s.id, code=s.code, options=s.options, price=s.price, stock=s.stock)
            for s in skus
        ],
        min_price=min((s.price for s in skus), default=0),
        total_stock=sum(s.stock for s in skus),
        listing_status=product.listing_status,
        listing_findings=[CopyFindingOut(**finding) for finding in product.listing_findings],
        listing_note=product.listing_note,
    )


def list_shop_products(
    session: Session, *, shop_id: int, limit: int = 100, published_only: bool = False
) -> list[ProductOut]:
    """The shop's products; buyers' lists pass ``published_only``."""
    get_shop(session, shop_id=shop_id)
    query = select(Product).where(Product.shop_id == shop_id)
    if published_only:
        query = query.where(Product.listing_status == ListingStatus.PUBLISHED)
    products = session.scalars(query.order_by(Product.id).limit(limit)).all()
    return [product_out(session, product) for product in products]


def reserve_stock(session: Session, *, sku_id: int, quantity: int) -> None:
    """Take units with one conditional UPDATE: never below zero, never check-then-act."""
    taken = rows_changed(
        session.execute(
            update(Sku)
            .where(Sku.id == sku_id, Sku.stock >= quantity)
            .values(stock=Sku.stock - quantity)
        )
    )
    if taken != 1:
        raise InsufficientStock(f"not enough stock for SKU {sku_id}")


def release_stock(session: Session, *, sku_id: int, quantity: int) -> None:
    session.execute(update(Sku).where(Sku.id == sku_id).values(stock=Sku.stock + quantity))


def delist_product(session: Session, *, product_id: int) -> dict[int, int]:
    """Take a product off sale (moderation, after a failed inspection): every SKU's
    stock goes to zero under row locks; returns the stock withdrawn, by SKU id."""
    skus = session.scalars(
        select(Sku).where(Sku.product_id == product_id).order_by(Sku.id).with_for_update()
    ).all()
    withdrawn = {sku.id: sku.stock for sku in skus}
    for sku in skus:
        sku.stock = 0
    session.flush()
    product = get_product(session, product_id=product_id)
    publish_after_commit(session, ProductChanged(product_id=product_id, shop_id=product.shop_id))
    return withdrawn


def lowest_price_since(session: Session, *, sku_id: int, since: datetime) -> int:
    """The lowest price the SKU had at any moment from ``since`` until now.

    The price in force at ``since`` counts too (the last change before it).
    """
    in_window = session.scalar(
        select(func.min(PriceChange.price)).where(
            PriceChange.sku_id == sku_id, PriceChange.effective_at >= since
        )
    )
    before = session.scalar(
        select(PriceChange.price)
        .where(PriceChange.sku_id == sku_id, PriceChange.effective_at < since)
        .order_by(PriceChange.effective_at.desc())
        .limit(1)
    )
    candidates = [price for price in (in_window, before) if price is not None]
    if not candidates:
        return _find_sku(session, sku_id=sku_id).price
    return min(candidates)


def lowest_price_in_days(session: Session, *, sku_id: int, days: int) -> int:
    return lowest_price_since(session, sku_id=sku_id, since=utcnow() - timedelta(days=days))


def follow_shop(session: Session, *, user: User, shop_id: int) -> None:
    """Following twice is harmless."""
    access.require_shopper(user)
    get_shop(session, shop_id=shop_id)
    exists = session.scalar(
        select(ShopFollower.id).where(
            ShopFollower.shop_id == shop_id, ShopFollower.user_id == user.id
        )
    )
    if exists is None:
        session.add(ShopFollower(shop_id=shop_id, user_id=user.id))
        session.flush()


def follows_shop(session: Session, *, user_id: int, shop_id: int) -> bool:
    return (
        session.scalar(
            select(ShopFollower.id).where(
                ShopFollower.shop_id == shop_id, ShopFollower.user_id == user_id
            )
        )
        is not None
    )
