"""Which shop is whose: a user owns at most one shop, or staffs at most one.

``shop_of`` answers "my shop" everywhere (products, orders, payouts, pages). A
user's own shop always wins over a staffed one, so nothing another user does can
change which shop is an owner's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Shop, ShopStaff
from liveshop.core.errors import NotFound


def owned_shop(session: Session, *, user: User) -> Shop | None:
    return session.scalars(select(Shop).where(Shop.owner_id == user.id)).first()


def staffed_shop(session: Session, *, user: User) -> Shop | None:
    return session.scalars(
        select(Shop)
        .join(ShopStaff, ShopStaff.shop_id == Shop.id)
        .where(ShopStaff.user_id == user.id)
        .order_by(ShopStaff.id)
        .limit(1)
    ).first()


def shop_of(session: Session, *, user: User) -> Shop | None:
    """The shop the user owns, else the one they staff, else None."""
    return owned_shop(session, user=user) or staffed_shop(session, user=user)


def acting_shop_id(user_id: int | ColumnElement[int]) -> ColumnElement[int | None]:
    """``shop_of``'s answer as one SQL expression (the id of the shop the user owns, else
    of the first one they staff, else NULL), for a check that reads it together with
    other facts in one statement (a live auction's bid); ``user_id`` may be a bound
    parameter, for a statement built once."""
    owned = select(Shop.id).where(Shop.owner_id == user_id).limit(1).scalar_subquery()
    staffed = (
        select(ShopStaff.shop_id)
        .join(Shop, Shop.id == ShopStaff.shop_id)
        .where(ShopStaff.user_id == user_id)
        .order_by(ShopStaff.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(owned, staffed)


def get_shop(session: Session, *, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found", code="shop_not_found")
    return shop


def shops_named(session: Session, *, text: str, limit: int = 20) -> list[Shop]:
    """Shops whose name contains ``text`` (every shop when it is empty), by name: the host
    console picks a shop by its name instead of typing its id."""
    query = select(Shop)
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Shop.name.ilike(f"%{escaped}%", escape="\\"))
    return list(session.scalars(query.order_by(Shop.name, Shop.id).limit(limit)))
