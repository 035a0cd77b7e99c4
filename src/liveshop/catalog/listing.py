"""Moderators' decisions on products held for a review of their copy.

Approving publishes the product as it reads now; rejecting keeps it held with
the reason, for the merchant to rewrite (a rewrite is checked again, see
``catalog.copy_review``). Nobody decides on their own shop's product.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_listing_reviewer
from liveshop.catalog.events import ProductChanged
from liveshop.catalog.models import ListingStatus, Product
from liveshop.catalog.schemas import ProductOut
from liveshop.catalog.service import get_product, product_out
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput

MAX_REASON = 500  # the products.listing_note column

# Called with (session, reviewer, product, note) in the decision's transaction:
# moderation's audit log records every decision (registered by liveshop.wiring,
# as catalog may not import moderation).
ListingAuditor = Callable[[Session, User, Product, str | None], None]
_auditors: list[ListingAuditor] = []


def register_listing_auditor(auditor: ListingAuditor) -> None:
    _auditors[:] = [auditor]


def registered_listing_auditor() -> ListingAuditor | None:
    return _auditors[0] if _auditors else None


def held_products(session: Session, *, reviewer: User, limit: int = 100) -> list[ProductOut]:
    """The review queue: held products no moderator has decided on since their copy
    last changed, oldest first, each with its findings."""
    require_listing_reviewer(session, actor=reviewer)
    products = session.scalars(
        select(Product)
        .where(
            Product.listing_status == ListingStatus.HELD_FOR_REVIEW,
            Product.listing_reviewed_at.is_(None),
        )
        .order_by(Product.updated_at, Product.id)
        .limit(limit)
    ).all()
    return [product_out(session, product) for product in products]


def _decide(
    session: Session,
    *,
    reviewer: User,
    product_id: int,
    status: ListingStatus,
    note: str | None,
) -> Product:
    """Record the decision on a product that is still held (one conditional UPDATE,
    so two moderators deciding at once cannot both succeed)."""
    product = get_product(session, product_id=product_id)
    require_listing_reviewer(session, actor=reviewer, product=product)
    decided = session.execute(
        update(Product)
        .where(Product.id == product.id, Product.listing_status == ListingStatus.HELD_FOR_REVIEW)
        .values(
            listing_status=status,
            listing_note=note,
            listing_reviewed_by=reviewer.id,
            listing_reviewed_at=utcnow(),
        )
    )
    if rows_changed(decided) != 1:
        raise Conflict(f"product {product.id} is not held for review", code="not_held")
    session.refresh(product)
    publish_after_commit(session, ProductChanged(product_id=product.id, shop_id=product.shop_id))
    for auditor in _auditors:
        auditor(session, reviewer, product, note)
    return product


def approve_listing(session: Session, *, reviewer: User, product_id: int) -> Product:
    """Publish a held product: its findings stay on it as what was approved."""
    return _decide(
        session,
        reviewer=reviewer,
        product_id=product_id,
        status=ListingStatus.PUBLISHED,
        note=None,
    )


def reject_listing(session: Session, *, reviewer: User, product_id: int, reason: str) -> Product:
    """Keep a held product held, telling the merchant why."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            f"a rejection states its reason in 1 to {MAX_REASON} characters", code="bad_reason"
        )
    return _decide(
        session,
        reviewer=reviewer,
        product_id=product_id,
        status=ListingStatus.HELD_FOR_REVIEW,
        note=reason,
    )
