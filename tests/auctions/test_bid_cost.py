"""What a bid costs beyond deciding it. On the Redis engine, once the auction's facts
are known, a bid reads SQL only for its authorisation (the bidder's shop, if any, and
card on file), in one statement: not the auction, its room or its bid log; and only at
the bidder's first bid on the auction (a refusal is not remembered). The persister
writes a batch of bids, and the notices of those they outbid, in a fixed number of
statements whatever the batch's size. On SQL, a
bid reads the auction's row once, locked, with its room's host, before its access is
checked. The reply is the bid
and where the auction stands, without the log; on both engines it agrees with the
auction as the room then reads it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from liveshop.accounts.models import User
from liveshop.auctions import bidding, views
from liveshop.auctions.bid_persister import persist_bids
from liveshop.auctions.engines import SQL_BIDS, BidEngine
from liveshop.auctions.models import Auction
from liveshop.auctions.redis_bids import RedisBidEngine
from liveshop.auctions.schemas import BidResult
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.notifications.models import Notification, NotificationKind
from tests.auctions.conftest import Shelf, bidders, give_cards, running_auction
from tests.promotions.conftest import create_buyers

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")  # SQLite sends them as statements


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements (queries and writes) every engine sends meanwhile, any thread."""
    sent: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", seen)


def _bid(
    database_url: str, engine: BidEngine, auction_id: int, user: User, amount: int, key: str
) -> BidResult:
    with unit_of_work(database_url, writes=engine.writes_in_request) as session:
        standing, bid, replayed = bidding.place_bid(
            session,
            bidder=user,
            auction_id=auction_id,
            max_amount=amount,
            idempotency_key=key,
            engine=engine,
        )
        return views.bid_result(standing, bid, viewer=user, replayed=replayed)


def _users(database_url: str, ids: list[int]) -> list[User]:
    """Detached, as the token cache hands them to a request."""
    with unit_of_work(database_url, writes=False) as session:
        users = [session.get_one(User, user_id) for user_id in ids]
        for user in users:
            _ = user.username, user.role
        session.expunge_all()
        return users


def test_a_bid_on_redis_reads_sql_only_for_its_authorisation(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="cost"))
    auction_id = running_auction(database_url, shelf, reserve_price=2_500)
    _bid(database_url, redis_bids, auction_id, amy, 2_000, "first")  # facts and state loaded

    with statements_sent() as sent:
        result = _bid(database_url, redis_bids, auction_id, ben, 3_000, "second")
    tables = " ".join(sent).lower()
    assert len(sent) == 1, sent  # the shop the bidder acts for, and their card on file
    for read in ("payment_methods", "shops"):
        assert read in tables
    for unread in ("auctions", "auction_bids", "rooms", "users"):
        assert unread not in tables
    assert result.model_dump(mode="json", exclude={"bid": {"at"}, "auction": {"ends_at"}}) == {
        "auction": {
            "id": auction_id,
            "status": "running",
            "current_price": 2_500,  # the reserve, met by ben's maximum
            "next_minimum": 2_600,
            "leader": "c**",
            "bid_count": 2,
            "reserve_met": True,
            "seconds_left": result.auction.seconds_left,
        },
        "bid": {
            "seq": 2,
            "bidder": "c**",
            "bidder_id": ben.id,
            "max_amount": 3_000,
            "price_after": 2_500,
            "leading": True,
        },
        "replayed": False,
    }
    assert "bids" not in result.auction.model_dump()

    with statements_sent() as sent:
        _bid(database_url, redis_bids, auction_id, ben, 4_000, "third")
    assert sent == []  # ben was admitted to this auction at his first bid


def test_a_refusal_is_not_remembered_and_the_auctions_people_are_refused_every_time(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    (cardless,) = _users(database_url, create_buyers(database_url, 1, prefix="cardless"))
    host = _users(database_url, [shelf.host.id])[0]
    auction_id = running_auction(database_url, shelf)
    refusals = []
    for user, key in [(cardless, "c1"), (host, "h1"), (host, "h2")]:
        try:
            _bid(database_url, redis_bids, auction_id, user, 2_000, key)
        except LiveShopError as refusal:
            refusals.append(refusal.code)
    assert refusals == ["card_required", "own_auction", "own_auction"]

    give_cards(database_url, [cardless.id])
    accepted = _bid(database_url, redis_bids, auction_id, cardless, 2_000, "c2")
    assert (accepted.bid.seq, accepted.auction.bid_count) == (1, 1)


def test_the_persister_writes_a_batch_and_its_outbid_notices_in_six_statements(
    database_url: str, shelf: Shelf, redis_bids: RedisBidEngine
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="batch"))
    auction_id = running_auction(database_url, shelf)
    for index in range(20):  # each outbids the other: 19 notices
        bidder = (amy, ben)[index % 2]
        _bid(database_url, redis_bids, auction_id, bidder, 2_000 + index * 1_000, f"k{index}")

    with statements_sent() as sent:
        assert persist_bids(database_url, redis_bids) == 20
    # the auction's row, the bids, the auction and the bidders read, the outbid bidders'
    # preferences, their notices (SQLite's PRAGMA: a reader's connection made a writer's)
    written = [statement for statement in sent if not statement.startswith("PRAGMA")]
    assert len(written) == 6, "\n---\n".join(written)
    with unit_of_work(database_url, writes=False) as session:
        told = session.execute(
            select(Notification.user_id, Notification.dedupe_key)
            .where(Notification.kind == NotificationKind.AUCTION_OUTBID)
            .order_by(Notification.id)
        ).all()
    assert [tuple(row) for row in told] == [
        ((amy, ben)[seq % 2].id, f"auction_outbid:{auction_id}:{seq}") for seq in range(2, 21)
    ]


def test_a_bids_reply_agrees_with_the_auction_the_room_reads(
    database_url: str, shelf: Shelf, bid_engine: BidEngine
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="same"))
    auction_id = running_auction(database_url, shelf)
    _bid(database_url, bid_engine, auction_id, amy, 9_000, "a1")
    outbid = _bid(database_url, bid_engine, auction_id, ben, 5_000, "b1")  # amy's proxy answers
    replayed = _bid(database_url, bid_engine, auction_id, ben, 5_000, "b1")
    if isinstance(bid_engine, RedisBidEngine):
        persist_bids(database_url, bid_engine)
    with unit_of_work(database_url) as session:
        room = views.auction_out(session, session.get_one(Auction, auction_id), viewer=None)
    for reply in (outbid, replayed):
        assert (reply.bid.leading, reply.auction.leader, reply.auction.current_price) == (
            False,
            room.leader,
            room.current_price,
        )
        assert (reply.auction.next_minimum, reply.auction.bid_count) == (
            room.next_minimum,
            room.bid_count,
        )
        assert reply.auction.ends_at == room.ends_at
    assert (room.leader, room.current_price, replayed.replayed) == ("s**", 5_100, True)


def test_a_bid_on_sql_reads_the_auction_once_and_its_access_in_one_statement(
    database_url: str, shelf: Shelf
) -> None:
    amy, ben = _users(database_url, bidders(database_url, 2, prefix="sqlcost"))
    auction_id = running_auction(database_url, shelf)
    _bid(database_url, SQL_BIDS, auction_id, amy, 2_000, "first")

    with statements_sent() as sent:
        _bid(database_url, SQL_BIDS, auction_id, ben, 3_000, "second")  # amy is outbid
    auction_reads = [
        statement for statement in sent if statement.lstrip().upper().startswith("SELECT AUCTIONS.")
    ]
    assert len(auction_reads) == 1, "\n---\n".join(sent)  # locked on PostgreSQL (FOR UPDATE)
    assert not any("SAVEPOINT" in statement.upper() for statement in sent), sent
    # the auction (locked) with its room's host, the bidder's shop and card, an earlier
    # bid with this key; the auction's row, the bid; amy's notice (her settings, the notice)
    assert len(sent) == 7, sent
