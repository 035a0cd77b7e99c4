"""Product copy is checked against moderation's advertising-law rules, and the
moderators' decisions on held products go into moderation's audit log.

``catalog`` may not import ``moderation`` (they share a layer), so this
top-layer module, imported once by the app, the CLI and the tests, hands
catalog its copy checker. Until it is imported, catalog saves no copy.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.copy_review import register_copy_checker
from liveshop.catalog.listing import register_listing_auditor
from liveshop.catalog.models import ListingStatus, Product
from liveshop.moderation.audit import append_audit, user_ref
from liveshop.moderation.compliance import review_product_copy


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


register_copy_checker(review_product_copy)
register_listing_auditor(audit_listing_decision)
