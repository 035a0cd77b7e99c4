"""Gifts (礼物) sent in a live room from the sender's coins.

A send is one ledger transaction (kind ``gift``, reference the send's id):

    buyer_coins (sender)        -V     V = coins x COIN_VALUE
    host_earnings (the host)    +V x host share
    platform_fees               +the rest

The coins account cannot go below zero (a conditional update in the ledger),
so concurrent sends never spend more than the balance. After the commit the
room shows the gift to everyone, as a gift line that sampling never drops.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import DomainEvent, publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.rooms import RoomNotice, room_facts, says
from liveshop.governance.qualifications.identity import check_gift_allowed
from liveshop.payments import access
from liveshop.payments.ledger import (
    AccountKind,
    get_account,
    platform_account,
    post_transaction,
    user_account,
)
from liveshop.payments.models import GiftSend
from liveshop.payments.wallets import COIN_VALUE, CURRENCY

GIFT = "gift"
BASIS_POINTS = 10_000
MAX_GIFTS_PER_SEND = 9_999


@dataclass(frozen=True)
class Gift:
    code: str
    name: str
    coins: int
    animation: str  # the CSS animation the room plays: float, burst, fly, shower


CATALOGUE: tuple[Gift, ...] = (
    Gift("heart", "小心心", 1, "float"),
    Gift("rose", "玫瑰", 10, "float"),
    Gift("lightstick", "荧光棒", 30, "burst"),
    Gift("cake", "蛋糕", 99, "burst"),
    Gift("sports_car", "跑车", 1_200, "fly"),
    Gift("rocket", "火箭", 10_000, "fly"),
    Gift("carnival", "嘉年华", 30_000, "shower"),
)
GIFTS = {gift.code: gift for gift in CATALOGUE}


@dataclass(frozen=True, slots=True)
class GiftSent(DomainEvent):
    """A gift send was booked, with what its subscribers need (the platform-sales
    recorder): the room's RoomNotice names the sender for viewers, this carries the id.
    """

    send_id: int
    sender_id: int
    room_id: int
    host_id: int
    gift: str  # the gift's code
    count: int
    coins: int  # what the send cost: the gift's coins x count


def _fingerprint(room_id: int, gift_code: str, count: int) -> str:
    return hashlib.sha256(f"{room_id}:{gift_code}:{count}".encode()).hexdigest()


def _replayed(session: Session, *, sender: User, key: str, fingerprint: str) -> GiftSend | None:
    send = session.scalars(
        select(GiftSend).where(GiftSend.sender_id == sender.id, GiftSend.idempotency_key == key)
    ).first()
    if send is not None and send.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used for another gift", code="idempotency_conflict"
        )
    return send


def send_gift(
    session: Session,
    *,
    sender: User,
    room_id: int,
    gift_code: str,
    count: int,
    idempotency_key: str,
    host_share_bps: int,
) -> GiftSend:
    """Spend the sender's coins on ``count`` gifts for the room's host; raises
    InsufficientFunds (409) when the coins do not cover it, and nothing is written."""
    access.require_money_mover(sender)
    gift = GIFTS.get(gift_code)
    if gift is None:
        raise NotFound(f"no gift {gift_code!r}", code="gift_not_found")
    if not 1 <= count <= MAX_GIFTS_PER_SEND:
        raise InvalidInput(f"send 1 to {MAX_GIFTS_PER_SEND} gifts at once", code="bad_count")
    fingerprint = _fingerprint(room_id, gift_code, count)
    replayed = _replayed(session, sender=sender, key=idempotency_key, fingerprint=fingerprint)
    if replayed is not None:
        return replayed
    room = room_facts(session, room_id)
    if room.status != "live":
        raise Conflict("gifts are sent while the room is live", code="room_not_live")
    if room.host_id == sender.id:
        raise Conflict("a host cannot send gifts to themselves", code="own_room")
    _check_allowed(session, sender_id=sender.id, coins=gift.coins * count)
    send = GiftSend(
        sender_id=sender.id,
        room_id=room_id,
        host_id=room.host_id,
        gift_code=gift.code,
        count=count,
        coins=gift.coins * count,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    try:
        with session.begin_nested():
            session.add(send)
            session.flush()
    except IntegrityError as error:
        raise Conflict("a gift with this key is under way", code="gift_in_progress") from error
    _book(session, send=send, host_share_bps=host_share_bps)
    publish_after_commit(session, _gift_notice(send, gift, sender.public_name))
    publish_after_commit(session, _gift_sent(send))
    return send


def _check_allowed(session: Session, *, sender_id: int, coins: int) -> None:
    """Minors send no gifts; everyone stays within the daily and monthly caps."""
    now = utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def spent_since(start: datetime) -> int:
        total = session.scalar(
            select(func.coalesce(func.sum(GiftSend.coins), 0)).where(
                GiftSend.sender_id == sender_id, GiftSend.created_at >= start
            )
        )
        return int(total or 0)

    check_gift_allowed(
        session,
        sender_id,
        coins,
        now,
        spent_today=spent_since(day),
        spent_this_month=spent_since(day.replace(day=1)),
    )


def _book(session: Session, *, send: GiftSend, host_share_bps: int) -> None:
    value = send.coins * COIN_VALUE
    host_share = value * host_share_bps // BASIS_POINTS
    amounts = [
        (user_account(AccountKind.BUYER_COINS, send.sender_id, CURRENCY), -value),
        (user_account(AccountKind.HOST_EARNINGS, send.host_id, CURRENCY), host_share),
        (platform_account(AccountKind.PLATFORM_FEES, CURRENCY), value - host_share),
    ]
    post_transaction(
        session,
        kind=GIFT,
        reference=str(send.id),
        postings=[(get_account(session, key), amount) for key, amount in amounts if amount],
        memo=f"{send.count} x {send.gift_code} in room {send.room_id}",
    )


def _gift_notice(send: GiftSend, gift: Gift, sender_name: str) -> RoomNotice:
    payload = {
        "id": send.id,
        "gift": gift.code,
        "name": gift.name,
        "count": send.count,
        "coins": send.coins,
        "animation": gift.animation,
        "user": sender_name,
    }
    line = f"{sender_name} 送出 {gift.name} x{send.count}"
    sent = says("gift", user=sender_name, gift=gift.code, count=send.count)
    return RoomNotice(
        room_id=send.room_id,
        topic="gift",
        payload=payload,
        line=line,
        line_kind="gift",
        says=sent,
    )


def _gift_sent(send: GiftSend) -> GiftSent:
    return GiftSent(
        send_id=send.id,
        sender_id=send.sender_id,
        room_id=send.room_id,
        host_id=send.host_id,
        gift=send.gift_code,
        count=send.count,
        coins=send.coins,
    )
