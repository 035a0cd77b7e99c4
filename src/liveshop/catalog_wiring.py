"""Product copy is checked against moderation's advertising-law rules, the
moderators' decisions on held products go into moderation's audit log, and
promotions learns which products a room's shelf carries.

``catalog`` may not import ``moderation`` (they share a layer), nor
``promotions`` import ``live``, so this top-layer module, imported once by the
app, the CLI and the tests, hands them what they need. Until it is imported,
catalog saves no copy and no room's shelf carries anything for promotions.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.copy_review import register_copy_checker
from liveshop.catalog.listing import register_listing_auditor
from liveshop.catalog.models import ListingStatus, Product
from liveshop.live.models import ShelfItem
from liveshop.moderation.audit import append_audit, user_ref
from liveshop.moderation.compliance import review_product_copy
from liveshop.promotions.access import register_shelf_lookup


def audit_listing_decision(
    session: Session, reviewer: User, product: Product, note: str | None
) -> None:
    approved = product.listing_status is ListingStatus.PUBLISHED
    append_audit(
        session,
        actor=user_ref(reviewer.id),
        action="listing.approve" if approved else "listing.reject",
        subject=f"product:{product.id}",
        details={"reason": note} if note else None,
    )


def shelved_product_ids(session: Session, room_id: int) -> frozenset[int]:
    """The products on a room's shelf (the goods rule of ``promotions.access``)."""
    return frozenset(
        session.scalars(select(ShelfItem.product_id).where(ShelfItem.room_id == room_id)).all()
    )


register_copy_checker(review_product_copy)
register_listing_auditor(audit_listing_decision)
register_shelf_lookup(shelved_product_ids)
