"""Bids decided in Redis: one Lua script per bid, atomic, so racing bidders are
ordered by Redis alone. The script checks the deadline, answers a retried
Idempotency-Key with the bid it made, applies the proxy rule (the same rule as
``proxy.decide``: increment table, reserve, maxima, the earlier bid wins a tie),
extends the deadline on a late bid, numbers the bid (``seq``) and appends it to the
bids stream (the ordered bid log) before answering.

The SQL database stays the record: ``bid_persister.py`` writes the stream's entries
to ``auction_bids`` and the auction's row, idempotently, and acknowledges them once
committed; entries left by a killed process are written on its restart. An auction's
state is loaded into Redis from its row at its first bid here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from redis import asyncio as asyncio_redis
from redis.commands.core import AsyncScript
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.auctions.access import Admissions
from liveshop.auctions.database_keys import database_key_of_url
from liveshop.auctions.facts import AuctionFacts, DecidedBid, FactsCache, PlacedBid, Standing
from liveshop.auctions.models import Auction, AuctionEnding, AuctionStatus
from liveshop.auctions.proxy import AuctionClosed, BidTooLow, yuan
from liveshop.auctions.service import get_auction
from liveshop.core.clock import as_utc
from liveshop.core.db import get_session_factory
from liveshop.core.errors import Conflict
from liveshop.privacy.masking import mask_username

PERSISTERS = "bid-persisters"  # the stream's consumer group

# KEYS: state (hash), answers (hash "bidder:key" -> the bid), bids stream
# The stream's entry is two fields, "bid" (auction:seq:bidder:max:price:leading:leader:
# leader_max:outbid:ends_at:at:extended, integers written whole) and "key": the persister
# reads each field as a RESP string in Python, and 26 of them were 7 % of the server's
# profiled CPU.
# ARGV: bidder, max amount, idempotency key, now (µs since the epoch), auction id,
# the bidder's masked name (the state keeps the leader's, for the bid's reply)
BID_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', '', '', '', '', 0, 0, '', '', 0, '0', ''}
end
local s = redis.call('HMGET', KEYS[1], 'running', 'ends_at', 'extend', 'starting', 'reserve',
  'bands', 'price', 'leader', 'leader_max', 'count', 'leader_name')
s[11] = s[11] or ''
local function state(status, detail, entry, outbid, extended)
  return {status, detail, s[7], s[8], s[9], s[10], s[2], entry or '', outbid or '', extended or 0,
    s[1], s[11]}
end
local bidder, amount, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local member = bidder .. ':' .. ARGV[3]
local earlier = redis.call('HGET', KEYS[2], member)
if earlier then return state('replayed', earlier) end
if s[1] ~= '1' then return state('closed', 'the auction is not taking bids') end
local ends_at = tonumber(s[2])
if now >= ends_at then return state('closed', 'the auction has ended') end
local bands = {}
for start, step in string.gmatch(s[6], '(%d+):(%d+)') do
  bands[#bands + 1] = {tonumber(start), tonumber(step)}
end
local function step_at(p)
  local found = bands[1][2]
  for _, band in ipairs(bands) do if p >= band[1] then found = band[2] end end
  return found
end
local reserve = tonumber(s[5])
local function with_reserve(p)
  if reserve >= 0 and amount >= reserve and reserve > p then return reserve end
  return p
end
local price, leader, top, leading, outbid
if s[8] == '' then
  if amount < tonumber(s[4]) then return state('too_low', s[4]) end
  price, leader, top, leading, outbid = with_reserve(tonumber(s[4])), bidder, amount, 1, ''
elseif s[8] == bidder then
  if amount <= tonumber(s[9]) then return state('own_maximum', s[9]) end
  price, leader, top, leading, outbid = with_reserve(tonumber(s[7])), bidder, amount, 1, ''
else
  local current, held = tonumber(s[7]), tonumber(s[9])
  local minimum = current + step_at(current)
  if amount < minimum then return state('too_low', minimum) end
  if amount > held then
    price = with_reserve(math.min(amount, held + step_at(held)))
    leader, top, leading, outbid = bidder, amount, 1, s[8]
  else
    price = math.max(math.min(held, amount + step_at(amount)), current)
    leader, top, leading, outbid = s[8], held, 0, ''
  end
end
local seq = tonumber(s[10]) + 1
local extend, extended = tonumber(s[3]), 0
if extend > 0 and ends_at < now + extend then ends_at, extended = now + extend, 1 end
local name = s[11]
if leader == bidder then name = ARGV[6] end
redis.call('HSET', KEYS[1], 'price', price, 'leader', leader, 'leader_max', top, 'count', seq,
  'ends_at', ends_at, 'leader_name', name)
local function int(x) return string.format('%.0f', x) end
local packed = table.concat({ARGV[5], int(seq), bidder, int(amount), int(price), int(leading),
  leader, int(top), outbid, int(ends_at), ARGV[4], int(extended)}, ':')
local entry = redis.call('XADD', KEYS[3], '*', 'bid', packed, 'key', ARGV[3])
local answer = seq .. ':' .. amount .. ':' .. price .. ':' .. leading .. ':' .. ARGV[4]
redis.call('HSET', KEYS[2], member, answer)
s[2], s[7], s[8], s[9], s[10], s[11] = ends_at, price, leader, top, seq, name
return state('accepted', answer, entry, outbid, extended)
"""
# KEYS: state; ARGV: the state's fields and values. Only where there is none yet.
LOAD_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""
# KEYS: state, answers; ARGV: now (µs), seconds to keep them.
# 1: no more bids (or none were ever here); 0: a late bid moved the deadline past now.
FINISH_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'ends_at')) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'running', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""
IN_LOOP_CONNECTIONS = 64  # per event loop: the bids answered in it wait for one
# A closed auction's state and answers stay a while for late retries (answered from them);
# after that SQL holds everything, and a retry is told the auction is closed.
KEEP_FINISHED_SECONDS = 24 * 3600


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exact (a Lua number holds them: below 2**53)."""
    return (as_utc(moment) - EPOCH) // MICROSECOND


def from_us(value: int | bytes | str) -> datetime:
    return EPOCH + timedelta(microseconds=int(float(value)))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(value: Any) -> int | None:
    text = _text(value)
    return int(float(text)) if text else None


@dataclass(frozen=True)
class Answer:
    """The script's reply: what happened and the auction's state after it."""

    status: str
    detail: str
    price: int | None
    leader_id: int | None
    leader_max: int | None
    count: int
    ends_at: datetime
    entry: str
    outbid_id: int | None
    extended: bool
    running: bool
    leader_name: str  # masked; empty for a state loaded before leaders' names were kept

    @classmethod
    def parse(cls, reply: list[Any]) -> Answer:
        count = _number(reply[5])
        ends_at = _number(reply[6])
        return cls(
            status=_text(reply[0]),
            detail=_text(reply[1]),
            price=_number(reply[2]),
            leader_id=_number(reply[3]),
            leader_max=_number(reply[4]),
            count=count or 0,
            ends_at=from_us(ends_at or 0),
            entry=_text(reply[7]),
            outbid_id=_number(reply[8]),
            extended=bool(_number(reply[9])),
            running=_text(reply[10]) == "1",
            leader_name=_text(reply[11]),
        )


class RedisBidEngine:
    name = "redis"
    writes_in_request = False  # the persister writes the bids to SQL

    def __init__(self, url: str, namespace: str = "liveshop") -> None:
        self.url = url
        self.namespace = namespace
        self.stream = f"{namespace}:auction-bids"
        self.client = redis.Redis.from_url(url)
        self._bid = self.client.register_script(BID_SCRIPT)
        self._load = self.client.register_script(LOAD_SCRIPT)
        self._finish = self.client.register_script(FINISH_SCRIPT)
        self._facts = FactsCache()  # per engine: one Redis namespace, one set of auctions
        self._admissions = Admissions()
        self._in_loops: dict[asyncio.AbstractEventLoop, AsyncScript] = {}

    def keys(self, auction_id: int) -> list[str]:
        """state (hash), answers (hash "bidder:key" -> bid); one hash slot per auction."""
        base = f"{self.namespace}:auction:{{{auction_id}}}"
        return [f"{base}:state", f"{base}:answers"]

    def facts(self, session: Session, *, auction_id: int) -> AuctionFacts:
        """From memory after the first bid (facts never change); read again whenever
        Redis is found without the auction's state."""
        return self._facts.get(session, auction_id=auction_id)

    def require_bidder(self, session: Session, *, facts: AuctionFacts, bidder: User) -> None:
        """Read from SQL at the bidder's first bid on the auction only (``Admissions``)."""
        self._admissions.require_bidder(
            session, actor=bidder, auction_id=facts.id, shop_id=facts.shop_id, host_id=facts.host_id
        )

    def load(self, session: Session, auction: Auction) -> None:
        """The auction's state from its row, unless Redis holds it already."""
        running = auction.status == AuctionStatus.RUNNING and auction.ends_at is not None
        extend = auction.extend_seconds if auction.ending == AuctionEnding.EXTEND else 0
        leader = session.get(User, auction.leader_id) if auction.leader_id is not None else None
        fields: dict[str, str | int] = {
            "running": "1" if running else "0",
            "ends_at": to_us(auction.ends_at) if auction.ends_at else 0,
            "extend": extend * 1_000_000,
            "starting": auction.starting_price,
            "reserve": -1 if auction.reserve_price is None else auction.reserve_price,
            "bands": ",".join(f"{int(start)}:{int(step)}" for start, step in auction.increments),
            "price": "" if auction.current_price is None else auction.current_price,
            "leader": "" if auction.leader_id is None else auction.leader_id,
            "leader_max": "" if auction.leader_max is None else auction.leader_max,
            "count": auction.bid_count,
            "leader_name": mask_username(leader.public_name) if leader is not None else "",
        }
        flat = [item for pair in fields.items() for item in pair]
        self._load(keys=[self.keys(auction.id)[0]], args=flat)

    def place(
        self,
        session: Session,
        *,
        facts: AuctionFacts,
        bidder: User,
        max_amount: int,
        idempotency_key: str,
        moment: datetime,
    ) -> PlacedBid:
        """The script decides; SQL is read only when Redis has no state for the auction
        yet (its row is loaded) and to name the status of an auction no longer running."""
        keys = [*self.keys(facts.id), self.stream]
        arguments = _arguments(facts, bidder, max_amount, idempotency_key, moment)
        answer = Answer.parse(self._bid(keys=keys, args=arguments))
        if answer.status == "missing":
            facts = self._facts.refresh(session, auction_id=facts.id)  # new to this Redis
            auction = get_auction(session, auction_id=facts.id)
            if auction.status != AuctionStatus.RUNNING:
                raise AuctionClosed("the auction is not taking bids")
            self.load(session, auction)
            answer = Answer.parse(self._bid(keys=keys, args=arguments))
        bid = self._bid_of(answer, bidder=bidder, max_amount=max_amount)
        return PlacedBid(_standing(session, facts, answer), bid, answer.status == "replayed")

    async def place_from_memory(
        self,
        database_url: str,
        *,
        auction_id: int,
        bidder: User,
        max_amount: int,
        idempotency_key: str,
        moment: datetime,
    ) -> PlacedBid | None:
        """``place`` in the event loop, without a session or a worker thread, once the
        auction's facts and the bidder's admission are in memory (every bid but the
        bidder's first on the auction): the same checks from memory, the same script
        through an asyncio client. None, before the script or when Redis has no state
        for the auction (the script then changed nothing): the caller places the bid
        with ``place`` in a thread. SQL is read, in a thread, only to name the status
        of an auction no longer running."""
        database = database_key_of_url(database_url)
        facts = self._facts.known(database, auction_id=auction_id)
        if facts is None or not self._admissions.admitted(
            database, actor=bidder, auction_id=auction_id, host_id=facts.host_id
        ):
            return None
        keys = [*self.keys(facts.id), self.stream]
        arguments = _arguments(facts, bidder, max_amount, idempotency_key, moment)
        answer = Answer.parse(await self._script_in_loop()(keys=keys, args=arguments))
        if answer.status == "missing":
            return None
        bid = self._bid_of(answer, bidder=bidder, max_amount=max_amount)
        standing = _standing_in_memory(facts, answer)
        if standing is None:
            standing = await asyncio.to_thread(_standing_from_sql, database_url, facts, answer)
        return PlacedBid(standing, bid, answer.status == "replayed")

    def _script_in_loop(self) -> AsyncScript:
        """The bid script on an asyncio client of the running loop's own (a client's
        connections belong to the loop that opened them). Its pool is bounded and a
        bid waits for a free connection: a crowd's thousand bids in flight at once
        must queue, not fail (the default pool refuses its 101st)."""
        loop = asyncio.get_running_loop()
        script = self._in_loops.get(loop)
        if script is None:
            for stale in [known for known in self._in_loops if known.is_closed()]:
                self._in_loops.pop(stale, None)
            pool = asyncio_redis.BlockingConnectionPool.from_url(
                self.url, max_connections=IN_LOOP_CONNECTIONS
            )
            script = asyncio_redis.Redis(connection_pool=pool).register_script(BID_SCRIPT)
            self._in_loops[loop] = script
        return script

    @staticmethod
    def _bid_of(answer: Answer, *, bidder: User, max_amount: int) -> DecidedBid:
        if answer.status == "closed":
            raise AuctionClosed(answer.detail)
        if answer.status == "too_low":
            raise BidTooLow(f"the next bid is at least {yuan(int(answer.detail))}")
        if answer.status == "own_maximum":
            raise BidTooLow(
                f"you lead with a maximum of {yuan(int(answer.detail))}; raise it to change it",
                code="not_above_own_maximum",
            )
        seq, amount, price, leading, at = answer.detail.split(":")
        if int(amount) != max_amount:
            raise Conflict(
                "this Idempotency-Key was used for another amount", code="idempotency_conflict"
            )
        return DecidedBid(
            seq=int(seq),
            bidder_id=bidder.id,
            max_amount=int(amount),
            price_after=int(price),
            leading=leading == "1",
            created_at=from_us(at),
        )

    def finish(self, auction_id: int, *, moment: datetime) -> bool:
        finished = self._finish(
            keys=self.keys(auction_id), args=[to_us(moment), KEEP_FINISHED_SECONDS]
        )
        return bool(finished)


def _arguments(
    facts: AuctionFacts, bidder: User, max_amount: int, idempotency_key: str, moment: datetime
) -> list[str | int]:
    """The bid script's ARGV."""
    return [
        bidder.id,
        max_amount,
        idempotency_key,
        to_us(moment),
        facts.id,
        mask_username(bidder.public_name),
    ]


def _standing(session: Session, facts: AuctionFacts, answer: Answer) -> Standing:
    """The standing Redis answered with (the status of an auction it no longer runs,
    and a leader's name it does not hold, from SQL)."""
    standing = _standing_in_memory(facts, answer)
    if standing is not None:
        return standing
    status = (
        AuctionStatus.RUNNING
        if answer.running
        else get_auction(session, auction_id=facts.id).status
    )
    leader = answer.leader_name or None
    if answer.leader_id is not None and leader is None:
        leader = mask_username(session.get_one(User, answer.leader_id).public_name)
    return _standing_of(facts, answer, status=str(status), leader=leader)


def _standing_in_memory(facts: AuctionFacts, answer: Answer) -> Standing | None:
    """The standing from Redis' answer alone, or None when it needs SQL (the auction no
    longer runs, or Redis holds no name for its leader)."""
    if not answer.running or (answer.leader_id is not None and not answer.leader_name):
        return None
    leader = answer.leader_name or None
    return _standing_of(facts, answer, status=str(AuctionStatus.RUNNING), leader=leader)


def _standing_of(
    facts: AuctionFacts, answer: Answer, *, status: str, leader: str | None
) -> Standing:
    return Standing(
        facts=facts,
        status=status,
        current_price=answer.price,
        leader_id=answer.leader_id,
        leader=leader,
        bid_count=answer.count,
        ends_at=answer.ends_at,
    )


def _standing_from_sql(database_url: str, facts: AuctionFacts, answer: Answer) -> Standing:
    with get_session_factory(database_url, writes=False)() as session:
        return _standing(session, facts, answer)
