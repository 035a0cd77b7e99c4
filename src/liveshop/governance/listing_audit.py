"""Moderators' decisions on products held for a review of their copy, in the
hash-chained audit log (catalog calls this through its listing auditor hook,
since catalog may not import moderation)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import ListingStatus, Product
from liveshop.core.audit.log import append_audit, user_ref


def audit_listing_decision(
    session: Session, reviewer: User, product: Product, note: str | None
) -> None:
    """Append ``listing.approve`` or ``listing.reject`` for the product, with the reason."""
    approved = product.listing_status is ListingStatus.PUBLISHED
    append_audit(
        session,
        actor=user_ref(reviewer.id),
        action="listing.approve" if approved else "listing.reject",
        subject=f"product:{product.id}",
        details={"reason": note} if note else None,
    )
