"""Flash sales (秒杀): creating them, their windows, counts and admission log.

Units are claimed through a StockEngine (promotions.stock_engines); the
order for a claimed unit is written by orders.placement, which logs its
admission here (``record_admissions``) and, on the Redis engine, mirrors the
sale's ``sold`` count (``stock_engines.mirror_sold``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.models import Product
from liveshop.core.bus import call_after_commit, publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.db import get_engine, rows_changed
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooEarly
from liveshop.core.rooms import RoomNotice, room_facts, says
from liveshop.governance.config import ModerationSettings
from liveshop.governance.scores import flash_sale_refusal
from liveshop.privacy.masking import mask_username
from liveshop.promotions import access
from liveshop.promotions.models import FlashSale, FlashSaleAdmission
from liveshop.promotions.schemas import AdmissionOut, FlashSaleIn, FlashSaleOut
from liveshop.promotions.stock_engines import StockEngine, make_stock_engine


class SoldOut(Conflict):
    code = "sold_out"


class PurchaseLimitReached(Conflict):
    status_code = 429
    code = "purchase_limit"


@lru_cache(maxsize=16)
def stock_engine_for(redis_url: str | None, database_url: str) -> StockEngine:
    """One engine per process and database (the SQL engine keeps a sold-out cache)."""
    return make_stock_engine(redis_url)


@dataclass(frozen=True)
class SaleTerms:
    """What never changes after a sale is created, cached so a sold-out or early
    attempt is answered without the database."""

    id: int
    room_id: int
    host_id: int  # the room's host: the merchant side a buy is checked against (刷单)
    shop_id: int
    sku_id: int
    price: int
    quantity: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime

    def notice(self, remaining: int) -> RoomNotice:
        """The room's live view of the sale: countdown, then the remaining count."""
        return RoomNotice(
            room_id=self.room_id,
            topic=f"flash_sale:{self.id}",
            payload={
                "id": self.id,
                "sku_id": self.sku_id,
                "price": self.price,
                "quantity": self.quantity,
                "remaining": remaining,
                "sold": self.quantity - remaining,
                "starts_at": self.starts_at.isoformat(),
                "ends_at": self.ends_at.isoformat(),
            },
        )


_terms_cache: dict[tuple[str, int], SaleTerms] = {}


def forget_cached_sales() -> None:
    """Drop what this process remembers of sales: after a database was emptied or restored."""
    _terms_cache.clear()
    _cache_url.cache_clear()
    stock_engine_for.cache_clear()


def sale_terms(session: Session, *, sale_id: int) -> SaleTerms:
    key = (str(session.get_bind().engine.url), sale_id)
    terms = _terms_cache.get(key)
    if terms is None:
        sale = get_sale(session, sale_id=sale_id)
        terms = SaleTerms(
            id=sale.id,
            room_id=sale.room_id,
            host_id=room_facts(session, sale.room_id).host_id,
            shop_id=sale.shop_id,
            sku_id=sale.sku_id,
            price=sale.price,
            quantity=sale.quantity,
            per_user_limit=sale.per_user_limit,
            starts_at=as_utc(sale.starts_at),
            ends_at=as_utc(sale.ends_at),
        )
        _terms_cache[key] = terms
    return terms


def cached_sale_terms(database_url: str, sale_id: int) -> SaleTerms | None:
    """The sale's terms if this process has read them, else None: never the database.

    For the event loop, which must not block on a query.
    """
    return _terms_cache.get((_cache_url(database_url), sale_id))


@lru_cache(maxsize=16)
def _cache_url(database_url: str) -> str:
    # The key sale_terms() uses: the engine's own rendering of its URL.
    return str(get_engine(database_url).url)


def check_open(terms: SaleTerms, now: datetime | None = None) -> None:
    now = now or utcnow()
    if now < terms.starts_at:
        seconds = int((terms.starts_at - now).total_seconds()) + 1
        raise TooEarly(f"the sale starts in {seconds} s", code="sale_not_started")
    if now >= terms.ends_at:
        raise Conflict("the sale has ended", code="sale_ended")


def get_sale(session: Session, *, sale_id: int) -> FlashSale:
    sale = session.get(FlashSale, sale_id)
    if sale is None:
        raise NotFound(f"flash sale {sale_id} not found", code="flash_sale_not_found")
    return sale


def create_flash_sale(
    session: Session,
    *,
    actor: User,
    body: FlashSaleIn,
    engine: StockEngine,
    reference_days: int,
    moderation_settings: ModerationSettings | None = None,
) -> FlashSale:
    """Set units of a SKU aside for a sale in a room.

    The SKU must be goods the actor may sell in the room (``promotions.access``),
    the room's host must be allowed flash sales (moderation: not banned or
    suspended, a high enough credit score), and the price must be below the
    SKU's lowest price of the previous ``reference_days`` days, so a "was 299,
    now 99" claim is true.
    """
    room = room_facts(session, body.room_id)
    sku = catalog.get_sku(session, sku_id=body.sku_id)
    product = session.get(Product, sku.product_id)
    assert product is not None  # foreign key
    access.require_goods_offerer(
        session, actor=actor, room=room, shop_id=product.shop_id, product_id=product.id
    )
    refusal = flash_sale_refusal(session, room.host_id, settings=moderation_settings)
    if refusal is not None:
        raise PermissionDenied(refusal.message, code=refusal.code)
    reference = catalog.lowest_price_in_days(session, sku_id=sku.id, days=reference_days)
    if body.price >= reference:
        raise InvalidInput(
            f"a flash-sale price must be below the lowest price of the previous "
            f"{reference_days} days ({reference} 分)",
            code="price_not_below_reference",
        )
    catalog.reserve_stock(session, sku_id=sku.id, quantity=body.quantity)
    sale = FlashSale(
        room_id=room.id,
        shop_id=product.shop_id,
        sku_id=sku.id,
        price=body.price,
        reference_price=reference,
        quantity=body.quantity,
        sold=0,
        per_user_limit=body.per_user_limit,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        created_by=actor.id,
    )
    session.add(sale)
    session.flush()
    call_after_commit(session, lambda: engine.set_up(sale))
    publish_after_commit(session, sale_terms(session, sale_id=sale.id).notice(sale.quantity))
    publish_after_commit(
        session,
        RoomNotice(
            room_id=room.id,
            topic="flash_sale_announced",
            line=f"限时秒杀: {product.title} ¥{body.price / 100:.2f} (原价 ¥{reference / 100:.2f})",
            line_kind="announcement",
            says=says("flash_sale", title=product.title, price=body.price, reference=reference),
        ),
    )
    return sale


def sale_status(sale: FlashSale, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < as_utc(sale.starts_at):
        return "upcoming"
    if now >= as_utc(sale.ends_at):
        return "ended"
    return "sold_out" if sale.sold >= sale.quantity else "on_sale"


def sale_out(session: Session, sale: FlashSale, engine: StockEngine) -> FlashSaleOut:
    remaining = max(min(engine.remaining(session, sale=sale), sale.quantity), 0)
    return FlashSaleOut(
        id=sale.id,
        room_id=sale.room_id,
        shop_id=sale.shop_id,
        sku_id=sale.sku_id,
        price=sale.price,
        reference_price=sale.reference_price,
        quantity=sale.quantity,
        sold=sale.quantity - remaining,
        remaining=remaining,
        per_user_limit=sale.per_user_limit,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        status=sale_status(sale),
    )


def list_room_sales(session: Session, *, room_id: int) -> list[FlashSale]:
    return list(
        session.scalars(
            select(FlashSale).where(FlashSale.room_id == room_id).order_by(FlashSale.starts_at)
        ).all()
    )


@dataclass(frozen=True)
class Admission:
    """A buyer's claimed units and the order written for them (the public log's row)."""

    sale_id: int
    user_id: int
    attempt_key: str
    quantity: int
    order_id: int


def record_admissions(session: Session, admissions: Sequence[Admission]) -> None:
    """Add winners to their sales' admission logs, in one statement however many.

    Call in the transaction that writes their orders; a (sale, user, attempt)
    already logged is an IntegrityError, and that transaction must not commit.
    """
    if not admissions:
        return
    now = utcnow()
    session.execute(
        insert(FlashSaleAdmission),
        [
            {
                "sale_id": admission.sale_id,
                "user_id": admission.user_id,
                "attempt_key": admission.attempt_key,
                "quantity": admission.quantity,
                "order_id": admission.order_id,
                "admitted_at": now,
            }
            for admission in admissions
        ],
    )


def release_units(
    session: Session,
    *,
    engine: StockEngine,
    sale_id: int,
    user_id: int,
    order_id: int,
    quantity: int,
) -> None:
    """Units of a cancelled or expired order go back to the sale (once)."""
    released = rows_changed(
        session.execute(
            update(FlashSaleAdmission)
            .where(
                FlashSaleAdmission.sale_id == sale_id,
                FlashSaleAdmission.order_id == order_id,
                FlashSaleAdmission.released.is_(False),
            )
            .values(released=True)
        )
    )
    if released:
        engine.release(session, sale_id=sale_id, user_id=user_id, quantity=quantity)


def admission_log(session: Session, *, sale_id: int, viewer: User | None) -> list[AdmissionOut]:
    """Who got units, in the order they got them: public, so a host can show fairness,
    with buyers' names masked as the room's purchase lines mask them. The sale's own
    people (its host, the shop, admins, regulators) also see user and order ids."""
    sale = get_sale(session, sale_id=sale_id)
    insider = access.can_see_admitted_buyers(
        session, actor=viewer, sale=sale, room=room_facts(session, sale.room_id)
    )
    rows = session.execute(
        select(FlashSaleAdmission, User.public_name)
        .join(User, User.id == FlashSaleAdmission.user_id)
        .where(FlashSaleAdmission.sale_id == sale_id)
        .order_by(FlashSaleAdmission.id)
    ).tuples()
    return [
        AdmissionOut(
            position=position,
            buyer=mask_username(username),
            user_id=row.user_id if insider else None,
            quantity=row.quantity,
            order_id=row.order_id if insider else None,
            admitted_at=row.admitted_at,
            released=row.released,
        )
        for position, (row, username) in enumerate(rows, start=1)
    ]


def current_sale_notices(session: Session, room_id: int) -> list[RoomNotice]:
    """The room's sales that have not ended, as their room notices (for snapshots)."""
    sales = session.scalars(
        select(FlashSale).where(FlashSale.room_id == room_id, FlashSale.ends_at > utcnow())
    ).all()
    return [
        sale_terms(session, sale_id=sale.id).notice(sale.quantity - sale.sold) for sale in sales
    ]
