"""What orders hold about a person, for privacy's export, erasure and retention.

The address book is erased; orders are transaction records under legal hold and
stay, keeping their copy of the shipping address until retention anonymises it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from liveshop.core.db import rows_changed
from liveshop.core.settings import Settings
from liveshop.orders.cart_models import CartItem
from liveshop.orders.models import Address, AfterSale, AfterSaleStatus, Order, OrderStatus
from liveshop.orders.service import order_out
from liveshop.privacy.masking import mask_address_snapshot, mask_phone
from liveshop.privacy.registry import DataSubject

ORDERS_IN_FLIGHT = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
AFTER_SALES_OPEN = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.AWAITING_RETURN,
    AfterSaleStatus.RETURN_SHIPPED,
    AfterSaleStatus.DISPUTED,
)


def export_orders(subject: DataSubject) -> dict[str, Any]:
    """The address book (phones masked), every order (its address masked) and the cart."""
    session = subject.session
    addresses = session.scalars(
        select(Address).where(Address.user_id == subject.user_id).order_by(Address.id)
    ).all()
    orders = session.scalars(
        select(Order).where(Order.buyer_id == subject.user_id).order_by(Order.id)
    ).all()
    exported_orders = []
    for order in orders:
        out = order_out(session, order).model_dump(mode="json")
        out["address"] = mask_address_snapshot(out["address"])
        exported_orders.append(out)
    return {
        "addresses": [
            {
                "id": address.id,
                "recipient": address.recipient,
                "phone": mask_phone(address.phone),
                "region": address.region,
                "line": address.line,
                "postal_code": address.postal_code,
                "is_default": address.is_default,
            }
            for address in addresses
        ],
        "orders": exported_orders,
        "cart": [
            {
                "sku_id": item.sku_id,
                "quantity": item.quantity,
                "added_at": item.added_at.isoformat(),
            }
            for item in session.scalars(
                select(CartItem).where(CartItem.user_id == subject.user_id).order_by(CartItem.id)
            )
        ],
    }


def orders_in_flight(subject: DataSubject) -> list[str]:
    """Erasure waits for the buyer's unfinished orders and open after-sales."""
    session, user_id = subject.session, subject.user_id
    reasons = []
    open_orders = session.scalars(
        select(Order.id).where(Order.buyer_id == user_id, Order.status.in_(ORDERS_IN_FLIGHT))
    ).all()
    if open_orders:
        reasons.append(f"orders {', '.join(map(str, open_orders))} are not finished")
    open_after_sales = session.scalars(
        select(AfterSale.id).where(
            AfterSale.buyer_id == user_id, AfterSale.status.in_(AFTER_SALES_OPEN)
        )
    ).all()
    if open_after_sales:
        reasons.append(f"after-sales {', '.join(map(str, open_after_sales))} are open")
    return reasons


def erase_addresses(subject: DataSubject) -> dict[str, int]:
    """The address book goes; orders keep their copy of the address (legal hold)."""
    removed = subject.session.execute(delete(Address).where(Address.user_id == subject.user_id))
    return {"addresses": rows_changed(removed)}


def erase_cart(subject: DataSubject) -> dict[str, int]:
    """The cart is the person's wish list, not a record: it goes."""
    removed = subject.session.execute(delete(CartItem).where(CartItem.user_id == subject.user_id))
    return {"cart_items": rows_changed(removed)}


def anonymise_old_order_addresses(session: Session, cutoff: datetime, _settings: Settings) -> int:
    """Past the legal hold, an order keeps its amounts and items but not the address."""
    return rows_changed(
        session.execute(
            update(Order)
            .where(
                Order.created_at < cutoff,
                Order.address.is_not(None),
                Order.status.not_in(ORDERS_IN_FLIGHT),
            )
            .values(address=None)
            .execution_options(synchronize_session=False)
        )
    )
