"""Bidding: a bidder's bid checked (an Idempotency-Key, a shopper with a card on
file who is none of the auction's people) and decided by the auction's bid engine
(``engines.py``: under the auction's row lock in SQL, or by one Lua script in
Redis). Its access is checked once, before the engine decides; the reply is built
from what the engine answered, without the bid log. A retried bid (same bidder and
idempotency key) answers with the bid it made the first time; the unique (auction,
bidder, key) constraint backs that up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions import access
from liveshop.auctions.engines import SQL_BIDS, BidEngine
from liveshop.auctions.facts import PlacedBid
from liveshop.auctions.proxy import AuctionClosed
from liveshop.core.clock import utcnow
from liveshop.core.errors import InvalidInput

__all__ = ["AuctionClosed", "place_bid"]


def place_bid(
    session: Session,
    *,
    bidder: User,
    auction_id: int,
    max_amount: int,
    idempotency_key: str,
    now: datetime | None = None,
    engine: BidEngine = SQL_BIDS,
) -> PlacedBid:
    """Decide one bid, its access checked once: (where the auction stands after it, the
    bid, replayed)."""
    if not idempotency_key or len(idempotency_key) > 100:
        raise InvalidInput("an Idempotency-Key of 1-100 characters is required")
    facts = engine.facts(session, auction_id=auction_id)
    access.require_bidder(session, actor=bidder, shop_id=facts.shop_id, host_id=facts.host_id)
    return engine.place(
        session,
        facts=facts,
        bidder=bidder,
        max_amount=max_amount,
        idempotency_key=idempotency_key,
        moment=now or utcnow(),
    )
