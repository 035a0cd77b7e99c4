"""The room's shelf (购物袋) and the product card pinned from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.models import ListingStatus
from liveshop.catalog.schemas import ProductOut
from liveshop.core.bus import publish_after_commit
from liveshop.core.errors import InvalidInput
from liveshop.live import events
from liveshop.live.models import Room, RoomStatus, ShelfItem
from liveshop.live.service import controlled_room, publish_pinned

MAX_SHELF = 100


def set_shelf(session: Session, *, actor: User, room_id: int, product_ids: Sequence[int]) -> None:
    """Replace the shelf with these products, in this order."""
    room = controlled_room(session, actor=actor, room_id=room_id)
    if len(set(product_ids)) != len(product_ids):
        raise InvalidInput("a product is on the shelf once", code="duplicate_product")
    for product_id in product_ids:
        catalog.get_published_product(session, product_id=product_id)
    session.execute(delete(ShelfItem).where(ShelfItem.room_id == room.id))
    session.add_all(
        ShelfItem(room_id=room.id, product_id=product_id, position=position)
        for position, product_id in enumerate(product_ids)
    )
    session.flush()


def shelf(session: Session, *, room_id: int) -> list[ProductOut]:
    product_ids = session.scalars(
        select(ShelfItem.product_id)
        .where(ShelfItem.room_id == room_id)
        .order_by(ShelfItem.position)
    ).all()
    products = [catalog.get_product(session, product_id=product_id) for product_id in product_ids]
    # The shelf is public: a product held for review since it was shelved stays off it.
    return [
        catalog.product_out(session, product)
        for product in products
        if product.listing_status is ListingStatus.PUBLISHED
    ]


def shelved_product_ids(session: Session, room_id: int) -> frozenset[int]:
    """The products on a room's shelf (for ``promotions.access``'s goods rule)."""
    return frozenset(
        session.scalars(select(ShelfItem.product_id).where(ShelfItem.room_id == room_id)).all()
    )


def take_product_off_shelves(session: Session, *, product_id: int) -> list[int]:
    """Moderation took the product off sale: it leaves every room's shelf, and a room
    that has it pinned unpins it (viewers see the card go). Returns those rooms' ids."""
    shelved = set(
        session.scalars(select(ShelfItem.room_id).where(ShelfItem.product_id == product_id))
    )
    session.execute(delete(ShelfItem).where(ShelfItem.product_id == product_id))
    pinning = session.scalars(
        select(Room).where(Room.pinned.is_not(None), Room.status != RoomStatus.ENDED)
    ).all()
    for room in pinning:
        if room.pinned is not None and room.pinned.get("product_id") == product_id:
            room.pinned = None
            publish_after_commit(session, events.PinnedChanged(room_id=room.id, pinned=None))
            shelved.add(room.id)
    session.flush()
    return sorted(shelved)


def product_card(product: ProductOut) -> dict[str, Any]:
    """What viewers see pinned: built from the catalog, so prices are the real ones."""
    return {
        "product_id": product.id,
        "shop_id": product.shop_id,
        "title": product.title,
        "price": product.min_price,
        "currency": product.currency,
        "image_url": product.images[0] if product.images else None,
        "skus": [
            {"id": sku.id, "options": sku.options, "price": sku.price, "in_stock": sku.stock > 0}
            for sku in product.skus
        ],
    }


def pin_from_shelf(session: Session, *, actor: User, room_id: int, product_id: int) -> Room:
    """Pin a shelf product (a product not on the shelf yet is put at its end)."""
    room = controlled_room(session, actor=actor, room_id=room_id)
    product = catalog.product_out(
        session, catalog.get_published_product(session, product_id=product_id)
    )
    on_shelf = session.scalar(
        select(ShelfItem.id).where(ShelfItem.room_id == room.id, ShelfItem.product_id == product_id)
    )
    if on_shelf is None:
        size = len(session.scalars(select(ShelfItem.id).where(ShelfItem.room_id == room.id)).all())
        if size >= MAX_SHELF:
            raise InvalidInput(f"a shelf holds at most {MAX_SHELF} products")
        session.add(ShelfItem(room_id=room.id, product_id=product_id, position=size))
    publish_pinned(session, actor=actor, room=room, card=product_card(product))
    return room
