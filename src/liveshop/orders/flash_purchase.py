"""Buying in a flash sale: claim a unit from promotions, then place the order.

A sold-out or not-yet-open sale is answered from memory, without the database.
With the Redis engine the whole decision (sold out, over the limit, a retry,
claimed) is taken in the event loop with one Redis call; only the few buyers
who got a unit (or retry one) reach the risk checks, a worker thread and the
database.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.access import require_shopper
from liveshop.core.bus import call_after_commit, publish_after_commit
from liveshop.core.db import unit_of_work
from liveshop.core.errors import PermissionDenied
from liveshop.orders import service as orders
from liveshop.orders.flash_order_batches import writer_for
from liveshop.orders.models import Order, OrderOrigin
from liveshop.orders.placement import AttemptInProgress, Win, order_key, place_won_orders
from liveshop.orders.risk_requests import check_flash_buy
from liveshop.orders.schemas import OrderOut
from liveshop.promotions import flash_sales
from liveshop.promotions.flash_sales import PurchaseLimitReached, SaleTerms, SoldOut
from liveshop.promotions.stock_engines import (
    Claim,
    ClaimOutcome,
    RedisStockEngine,
    StockEngine,
)


def buy_flash_sale(
    session: Session,
    *,
    buyer: User,
    sale_id: int,
    quantity: int,
    attempt_key: str,
    engine: StockEngine,
    payment_minutes: int,
    may_be_retry: bool = True,
) -> tuple[Order, bool]:
    """Claim ``quantity`` units and place their order; (order, created).

    Retrying with the same attempt key returns the first order and claims nothing,
    also after the sale sold out. An attempt that cannot be a retry (the client
    sent no key of its own) is refused from memory once the sale is sold out.
    """
    require_shopper(buyer)
    terms = flash_sales.sale_terms(session, sale_id=sale_id)
    flash_sales.check_open(terms)
    sold_out = engine.known_sold_out(sale_id)
    if sold_out and not may_be_retry:
        raise SoldOut("sold out")
    existing = find_attempt_order(session, buyer_id=buyer.id, sale_id=sale_id, key=attempt_key)
    if existing is not None:
        return existing, False
    if may_be_retry and engine.was_claimed(sale_id, buyer.id, attempt_key):
        # a retry is not a new attempt for the risk checks: its unit is held
        raise AttemptInProgress("this attempt holds a unit; its order is on its way")
    if sold_out:
        raise SoldOut("sold out")
    check_flash_buy(buyer, terms, quantity)
    sale = flash_sales.get_sale(session, sale_id=sale_id)
    claim = engine.claim(
        session, sale=sale, user_id=buyer.id, quantity=quantity, attempt_key=attempt_key
    )
    if claim.outcome is ClaimOutcome.SOLD_OUT:
        raise SoldOut("sold out")
    if claim.outcome is ClaimOutcome.OVER_LIMIT:
        raise PurchaseLimitReached(f"at most {sale.per_user_limit} per buyer in this sale")
    if claim.outcome is ClaimOutcome.DUPLICATE:
        # Claimed before, but its order is not written yet: the first request is
        # still running, or died and the claims stream will write the order.
        raise AttemptInProgress("this attempt is being processed; retry in a moment")
    publish_after_commit(session, terms.notice(claim.remaining))
    if claim.stream_entry is not None:
        entry = claim.stream_entry
        call_after_commit(session, lambda: _acknowledge(engine, entry))
    win = Win(buyer, terms, quantity, attempt_key, payment_minutes)
    # The claim counted the units in this transaction (the SQL engine's conditional
    # UPDATE, or the Redis engine's mirror of its count).
    (placed,) = place_won_orders(session, [win], count_sold=False)
    return session.get_one(Order, placed.id), True


async def buy_flash_sale_in_loop(
    *,
    database_url: str,
    buyer: User,
    sale_id: int,
    quantity: int,
    attempt_key: str,
    engine: RedisStockEngine,
    payment_minutes: int,
    may_be_retry: bool = True,
) -> tuple[OrderOut, bool]:
    """``buy_flash_sale`` for the Redis engine, from the event loop; (order, created).

    The same answers and guarantees: losers are answered here without the
    database; a claimed unit's order is written in a worker thread together
    with the other winners' of the moment (``flash_order_batches``), in one
    transaction with the mirrored ``sold`` count, and its stream entry is
    acknowledged after the commit (else claims recovery writes it).
    """
    require_shopper(buyer)
    terms = flash_sales.cached_sale_terms(database_url, sale_id)
    if terms is None:
        terms = await asyncio.to_thread(_load_terms, database_url, sale_id)
    flash_sales.check_open(terms)
    if engine.sold_out_in_memory(sale_id):
        if not may_be_retry or not await engine.was_claimed_async(sale_id, buyer.id, attempt_key):
            raise SoldOut("sold out")
        return await asyncio.to_thread(
            _claimed_attempt_order, database_url, buyer, terms, attempt_key
        )
    claim = await engine.claim_units(
        sale_id=sale_id,
        per_user_limit=terms.per_user_limit,
        user_id=buyer.id,
        quantity=quantity,
        attempt_key=attempt_key,
    )
    if claim.outcome is ClaimOutcome.SOLD_OUT:
        raise SoldOut("sold out")
    if claim.outcome is ClaimOutcome.OVER_LIMIT:
        raise PurchaseLimitReached(f"at most {terms.per_user_limit} per buyer in this sale")
    if claim.outcome is ClaimOutcome.DUPLICATE:  # a retry: no new attempt for the risk checks
        return await asyncio.to_thread(
            _claimed_attempt_order, database_url, buyer, terms, attempt_key
        )
    _assess_claim(engine, buyer, terms, quantity, attempt_key, claim)
    win = Win(buyer, terms, quantity, attempt_key, payment_minutes)
    return await writer_for(database_url, engine).order_for(win, claim), True


def _assess_claim(
    engine: RedisStockEngine,
    buyer: User,
    terms: SaleTerms,
    quantity: int,
    attempt_key: str,
    claim: Claim,
) -> None:
    """The risk checks on a new claim; a refused one is undone at once, so a bot takes
    nothing from the sale. Asked after the claim, not before: the many taps a sold-out
    sale answers cost no assessment (the sale's throughput), and only a tap that could
    buy is counted."""
    try:
        check_flash_buy(buyer, terms, quantity)
    except PermissionDenied:
        if claim.stream_entry is not None:  # always, for a new claim
            engine.undo_claim(terms.id, buyer.id, quantity, attempt_key, claim.stream_entry)
        raise


def _load_terms(database_url: str, sale_id: int) -> SaleTerms:
    with unit_of_work(database_url) as session:
        return flash_sales.sale_terms(session, sale_id=sale_id)


def _claimed_attempt_order(
    database_url: str, buyer: User, terms: SaleTerms, attempt_key: str
) -> tuple[OrderOut, bool]:
    """A retry of an attempt that holds a unit: its order, once written."""
    with unit_of_work(database_url) as session:
        order = find_attempt_order(session, buyer_id=buyer.id, sale_id=terms.id, key=attempt_key)
        if order is None:
            # The first request is still writing it, or died and the claims stream will.
            raise AttemptInProgress("this attempt is being processed; retry in a moment")
        return orders.order_out(session, order), False


def find_attempt_order(session: Session, *, buyer_id: int, sale_id: int, key: str) -> Order | None:
    return session.scalars(
        select(Order).where(
            Order.buyer_id == buyer_id,
            Order.origin == OrderOrigin.FLASH_SALE,
            Order.flash_sale_id == sale_id,
            Order.idempotency_key == order_key(sale_id, key),
        )
    ).first()


def _acknowledge(engine: StockEngine, entry: str) -> None:
    if isinstance(engine, RedisStockEngine):
        engine.acknowledge(entry)
