"""Qualifications: merchants' business and category licences and products'
certificates, reviewed by an admin; and the gates catalog and orders call
(:func:`may_sell_category`, :func:`may_sell_product`).

Only regulated categories (food, cosmetics, health by default) need papers: a
shop sells in one once an admin approved its business licence and its licence
for that category, both still valid; a product in one also needs its own
approved certificate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.governance import access
from liveshop.governance.access import require_admin
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.penalties import record_audit
from liveshop.governance.qualifications.models import (
    Qualification,
    QualificationKind,
    QualificationStatus,
)

MAX_DOCUMENTS = 20

# How products' free-text categories name the regulated ones.
CATEGORY_ALIASES = {
    "食品": "food",
    "食品饮料": "food",
    "生鲜": "food",
    "零食": "food",
    "化妆品": "cosmetics",
    "美妆": "cosmetics",
    "护肤": "cosmetics",
    "保健品": "health",
    "保健食品": "health",
    "营养保健": "health",
    "beauty": "cosmetics",
    "groceries": "food",
    "supplements": "health",
}


def regulated_category(category: str, *, settings: ModerationSettings) -> str | None:
    """The regulated category a product category falls in (its first path segment:
    ``food/tea`` is food), or None."""
    head = category.strip().replace(">", "/").split("/", 1)[0].strip().lower()
    head = CATEGORY_ALIASES.get(head, head)
    return head if head in settings.regulated_categories else None


@dataclass(frozen=True)
class Document:
    name: str
    url: str


def submit_qualification(
    session: Session,
    *,
    merchant: User,
    kind: QualificationKind,
    documents: Sequence[Document],
    details: dict[str, Any] | None = None,
    category: str | None = None,
    product_id: int | None = None,
    valid_until: date | None = None,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> Qualification:
    """A shop's owner or staff submits papers for review (pending until decided)."""
    shop = access.require_shop_member(session, user=merchant, doing="submit its papers")
    if not documents or len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"attach 1 to {MAX_DOCUMENTS} documents", code="bad_documents")
    moment = now or utcnow()
    if valid_until is not None and valid_until < moment.date():
        raise InvalidInput("this document has expired", code="expired_document")
    normalised = None
    if kind is QualificationKind.CATEGORY_LICENCE:
        normalised = regulated_category(category or "", settings=settings)
        if normalised is None:
            raise InvalidInput(
                f"a category licence is for one of {sorted(settings.regulated_categories)}",
                code="bad_category",
            )
    if kind is QualificationKind.PRODUCT_CERTIFICATE:
        if product_id is None:
            raise InvalidInput("a product certificate names its product", code="product_required")
        product = catalog.get_product(session, product_id=product_id)
        access.require_shops_own(shop, shop_id=product.shop_id, what="product")
    elif product_id is not None:
        raise InvalidInput("only a product certificate names a product", code="bad_product")
    qualification = Qualification(
        shop_id=shop.id,
        kind=kind,
        category=normalised,
        product_id=product_id,
        details=dict(details or {}),
        documents=[{"name": doc.name, "url": doc.url} for doc in documents],
        valid_until=valid_until,
        status=QualificationStatus.PENDING,
        submitted_by=merchant.id,
        submitted_at=moment,
    )
    session.add(qualification)
    session.flush()
    record_audit(
        session,
        actor_id=merchant.id,
        action="qualification.submitted",
        subject=f"shop:{shop.id}",
        details={"qualification_id": qualification.id, "kind": kind.value, "category": normalised},
    )
    return qualification


def list_qualifications(
    session: Session,
    *,
    admin: User,
    status: QualificationStatus | None = QualificationStatus.PENDING,
    limit: int = 100,
) -> Sequence[Qualification]:
    require_admin(admin, doing="review qualifications")
    query = select(Qualification)
    if status is not None:
        query = query.where(Qualification.status == status)
    return session.scalars(
        query.order_by(Qualification.submitted_at, Qualification.id).limit(limit)
    ).all()


def shop_qualifications(session: Session, *, merchant: User) -> Sequence[Qualification]:
    shop = catalog.shop_of(session, user=merchant)
    if shop is None:
        return []
    return session.scalars(
        select(Qualification)
        .where(Qualification.shop_id == shop.id)
        .order_by(Qualification.submitted_at.desc(), Qualification.id.desc())
    ).all()


def decide_qualification(
    session: Session,
    *,
    admin: User,
    qualification_id: int,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> Qualification:
    """Approve or reject a pending submission, once."""
    require_admin(admin, doing="review qualifications")
    qualification = session.get(Qualification, qualification_id)
    if qualification is None:
        raise NotFound(f"qualification {qualification_id} not found", code="not_found")
    if not approve and not note.strip():
        raise InvalidInput("say why it is rejected", code="note_required")
    status = QualificationStatus.APPROVED if approve else QualificationStatus.REJECTED
    decided = session.execute(
        update(Qualification)
        .where(
            Qualification.id == qualification.id,
            Qualification.status == QualificationStatus.PENDING,
        )
        .values(status=status, reviewed_by=admin.id, reviewed_at=now or utcnow(), review_note=note)
    )
    if rows_changed(decided) != 1:
        raise Conflict("this submission was decided already", code="decided")
    session.refresh(qualification)
    record_audit(
        session,
        actor_id=admin.id,
        action=f"qualification.{status.value}",
        subject=f"shop:{qualification.shop_id}",
        details={"qualification_id": qualification.id, "note": note},
    )
    return qualification


def _has_approved(
    session: Session,
    *,
    shop_id: int,
    kind: QualificationKind,
    today: date,
    category: str | None = None,
    product_id: int | None = None,
) -> bool:
    query = select(Qualification.id).where(
        Qualification.shop_id == shop_id,
        Qualification.kind == kind,
        Qualification.status == QualificationStatus.APPROVED,
        or_(Qualification.valid_until.is_(None), Qualification.valid_until >= today),
    )
    if category is not None:
        query = query.where(Qualification.category == category)
    if product_id is not None:
        query = query.where(Qualification.product_id == product_id)
    return session.scalar(query.limit(1)) is not None


def may_sell_category(
    session: Session,
    shop_id: int,
    category: str,
    *,
    settings: ModerationSettings | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether the shop may sell in ``category`` (a product's category text)."""
    settings = settings or get_moderation_settings()
    regulated = regulated_category(category, settings=settings)
    if regulated is None:
        return True
    today = (now or utcnow()).date()
    return _has_approved(
        session, shop_id=shop_id, kind=QualificationKind.BUSINESS_LICENCE, today=today
    ) and _has_approved(
        session,
        shop_id=shop_id,
        kind=QualificationKind.CATEGORY_LICENCE,
        today=today,
        category=regulated,
    )


def may_sell_product(
    session: Session,
    product_id: int,
    *,
    settings: ModerationSettings | None = None,
    now: datetime | None = None,
) -> bool:
    """The shop may sell in the product's category, and a regulated product has its
    own approved certificate."""
    settings = settings or get_moderation_settings()
    product = catalog.get_product(session, product_id=product_id)
    if not may_sell_category(
        session, product.shop_id, product.category, settings=settings, now=now
    ):
        return False
    if regulated_category(product.category, settings=settings) is None:
        return True
    return _has_approved(
        session,
        shop_id=product.shop_id,
        kind=QualificationKind.PRODUCT_CERTIFICATE,
        today=(now or utcnow()).date(),
        product_id=product.id,
    )
