"""The buyer's address book; orders keep a copy of the address they ship to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_shopper
from liveshop.core.errors import NotFound
from liveshop.orders.models import Address
from liveshop.orders.schemas import AddressIn


def add_address(session: Session, *, user: User, body: AddressIn) -> Address:
    """An address to ship to (a regulator, who buys nothing, keeps none)."""
    require_shopper(user)
    has_any = session.scalar(select(Address.id).where(Address.user_id == user.id).limit(1))
    address = Address(user_id=user.id, **body.model_dump())
    if body.is_default or has_any is None:
        _clear_default(session, user_id=user.id)
        address.is_default = True
    session.add(address)
    session.flush()
    return address


def _clear_default(session: Session, *, user_id: int) -> None:
    session.execute(update(Address).where(Address.user_id == user_id).values(is_default=False))


def list_addresses(session: Session, *, user: User) -> Sequence[Address]:
    return session.scalars(
        select(Address)
        .where(Address.user_id == user.id)
        .order_by(Address.is_default.desc(), Address.id)
    ).all()


def address_snapshot(
    session: Session, *, user: User, address_id: int | None
) -> dict[str, Any] | None:
    """The address copied into the order (later edits of the book do not change it)."""
    if address_id is not None:
        address = session.get(Address, address_id)
        if address is None or address.user_id != user.id:
            raise NotFound(f"address {address_id} not found", code="address_not_found")
    else:
        address = session.scalars(
            select(Address)
            .where(Address.user_id == user.id)
            .order_by(Address.is_default.desc(), Address.id.desc())
        ).first()
        if address is None:
            return None
    return _snapshot(address)


def default_address_snapshots(
    session: Session, *, user_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """``address_snapshot`` with no address named, for many buyers in one query."""
    addresses = session.scalars(
        select(Address)
        .where(Address.user_id.in_(user_ids))
        .order_by(Address.is_default.asc(), Address.id.asc())
    ).all()
    # Ascending, so each user's best address (default, then newest) is written last.
    return {address.user_id: _snapshot(address) for address in addresses}


def _snapshot(address: Address) -> dict[str, Any]:
    return {
        "recipient": address.recipient,
        "phone": address.phone,
        "region": address.region,
        "line": address.line,
        "postal_code": address.postal_code,
    }
