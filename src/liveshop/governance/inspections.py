"""Sampling inspections (定期抽检): pick products or orders at random,
reproducibly, record what the inspector found; a failed product is delisted
and the failure counts against its shop's score.

The pick: candidates ordered by id, ``k`` = rate x count rounded half up (at
least one when there are candidates), then ``random.Random(seed).sample``. The
seed is stored with each inspection, so anyone can redo the draw. Orders
belong to ``orders`` (a higher layer): ``liveshop.wiring`` registers where to
find them (``orders.moderation_figures``) with
:func:`register_order_sampling_source`.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.models import Product
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.governance.access import require_moderator
from liveshop.governance.events import ProductDelisted
from liveshop.governance.models import (
    Inspection,
    InspectionResult,
    InspectionTarget,
    ProductDelisting,
)
from liveshop.governance.penalties import record_audit

CLI_ACTOR = "system:cli"
MAX_FINDINGS = 4_000
MAX_RATE = 20  # the inspections.rate column


@dataclass(frozen=True)
class Candidate:
    id: int
    shop_id: int | None


OrderSource = Callable[[Session], list[Candidate]]
_order_sources: list[OrderSource] = []


def register_order_sampling_source(source: OrderSource) -> None:
    """``orders`` registers the orders that may be inspected (id and shop)."""
    _order_sources[:] = [source]


def unregister_order_sampling_source() -> None:
    _order_sources.clear()


def registered_order_sampling_source() -> OrderSource | None:
    return _order_sources[0] if _order_sources else None


def parse_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation as error:
        raise InvalidInput(
            f"a rate is a number in (0, 1], not {text!r}", code="bad_rate"
        ) from error
    if not rate.is_finite() or not Decimal(0) < rate <= Decimal(1) or len(str(rate)) > MAX_RATE:
        raise InvalidInput(
            f"a rate is a number in (0, 1] of at most {MAX_RATE} characters", code="bad_rate"
        )
    return rate


def sample_size(count: int, rate: Decimal) -> int:
    if count == 0:
        return 0
    k = int((Decimal(count) * rate).to_integral_value(rounding=ROUND_HALF_UP))
    return min(count, max(1, k))


def pick(candidates: Sequence[Candidate], *, rate: Decimal, seed: str) -> list[Candidate]:
    """The reproducible draw: same candidates, rate and seed, same picks."""
    ordered = sorted(candidates, key=lambda candidate: candidate.id)
    return random.Random(seed).sample(ordered, sample_size(len(ordered), rate))


def _candidates(session: Session, of: InspectionTarget) -> list[Candidate]:
    if of is InspectionTarget.PRODUCT:
        rows = session.execute(select(Product.id, Product.shop_id).order_by(Product.id)).tuples()
        return [Candidate(product_id, shop_id) for product_id, shop_id in rows]
    if not _order_sources:
        raise Conflict(
            "orders cannot be sampled: the orders package registered no source",
            code="no_order_source",
        )
    return _order_sources[0](session)


def sample_inspections(
    session: Session,
    *,
    of: InspectionTarget,
    rate: Decimal,
    seed: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> list[Inspection]:
    """Draw and record pending inspections; returns them in the order drawn."""
    if actor is not None:
        require_moderator(actor)
    seed = seed if seed is not None else secrets.token_hex(8)
    if not 1 <= len(seed) <= 64:
        raise InvalidInput("a seed is 1 to 64 characters", code="bad_seed")
    moment = now or utcnow()
    inspections = [
        Inspection(
            target_type=of,
            target_id=candidate.id,
            shop_id=candidate.shop_id,
            seed=seed,
            rate=str(rate),
            result=InspectionResult.PENDING,
            sampled_at=moment,
        )
        for candidate in pick(_candidates(session, of), rate=rate, seed=seed)
    ]
    session.add_all(inspections)
    session.flush()
    record_audit(
        session,
        actor_id=actor.id if actor else None,
        system_actor=CLI_ACTOR,
        action="inspection.sampled",
        subject=f"inspections:{of.value}",
        details={
            "seed": seed,
            "rate": str(rate),
            "picked": [inspection.target_id for inspection in inspections],
        },
    )
    return inspections


def get_inspection(session: Session, *, inspection_id: int) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} not found", code="inspection_not_found")
    return inspection


def record_inspection(
    session: Session,
    *,
    inspection_id: int,
    result: InspectionResult,
    findings: str,
    inspector: User | None = None,
    now: datetime | None = None,
) -> Inspection:
    """Record a pending inspection's result once; a failed product is delisted."""
    if inspector is not None:
        require_moderator(inspector)
    if result is InspectionResult.PENDING:
        raise InvalidInput("record pass or fail", code="bad_result")
    if len(findings) > MAX_FINDINGS or (result is InspectionResult.FAIL and not findings.strip()):
        raise InvalidInput(
            f"findings are at most {MAX_FINDINGS} characters, and a fail states them",
            code="bad_findings",
        )
    inspection = get_inspection(session, inspection_id=inspection_id)
    moment = now or utcnow()
    recorded = session.execute(
        update(Inspection)
        .where(Inspection.id == inspection.id, Inspection.result == InspectionResult.PENDING)
        .values(
            result=result,
            findings=findings,
            inspector_id=inspector.id if inspector else None,
            recorded_at=moment,
        )
    )
    if rows_changed(recorded) != 1:
        raise Conflict("this inspection's result is recorded already", code="recorded")
    session.refresh(inspection)
    if result is InspectionResult.FAIL and inspection.target_type is InspectionTarget.PRODUCT:
        _delist(session, inspection=inspection, reason=findings, now=moment)
    record_audit(
        session,
        actor_id=inspector.id if inspector else None,
        system_actor=CLI_ACTOR,
        action=f"inspection.{result.value}",
        subject=f"{inspection.target_type.value}:{inspection.target_id}",
        details={"inspection_id": inspection.id, "findings": findings},
    )
    return inspection


def _delist(session: Session, *, inspection: Inspection, reason: str, now: datetime) -> None:
    product = catalog.get_product(session, product_id=inspection.target_id)
    withdrawn = catalog.delist_product(session, product_id=product.id)
    session.add(
        ProductDelisting(
            product_id=product.id,
            shop_id=product.shop_id,
            inspection_id=inspection.id,
            reason=reason,
            withdrawn_stock={str(sku_id): stock for sku_id, stock in withdrawn.items()},
            delisted_at=now,
        )
    )
    session.flush()
    publish_after_commit(
        session,
        ProductDelisted(
            product_id=product.id,
            shop_id=product.shop_id,
            inspection_id=inspection.id,
            reason=reason,
        ),
    )


def is_product_delisted(session: Session, product_id: int) -> bool:
    """Whether moderation took the product off sale (and has not relisted it)."""
    found = session.scalar(
        select(ProductDelisting.id)
        .where(ProductDelisting.product_id == product_id, ProductDelisting.relisted_at.is_(None))
        .limit(1)
    )
    return found is not None


def list_inspections(
    session: Session, *, result: InspectionResult | None = None, limit: int = 100
) -> Sequence[Inspection]:
    query = select(Inspection)
    if result is not None:
        query = query.where(Inspection.result == result)
    return session.scalars(query.order_by(Inspection.id).limit(limit)).all()
