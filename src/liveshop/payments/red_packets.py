"""Red packets (红包): a host or merchant drops money in the room; viewers grab shares.

The total is split when the packet is dropped, by the double-mean method (each
share is random between 1 分 and twice the mean of what is left), so the
shares are each at least 1 分 and add up exactly to the total. The money waits
in escrow. A grab takes the next share with one conditional update of the
packet's counter (``grabbed < shares``), so no share is given twice and no
more shares than exist are given; a viewer's second grab hits the unique
(packet, user) constraint. After the deadline what is left goes back to the
sender.

Ledger (kind, reference):
    drop  ``red_packet``/id:        sender wallet -A, red_packet_escrow +A
    grab  ``red_packet_grab``/id:n: escrow -share, grabber wallet +share
    back  ``red_packet_return``/id: escrow -left, sender wallet +left
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.service import shop_of
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.risk import RiskPath, RiskRequest, refuse_unless_allowed
from liveshop.core.rooms import RoomNotice, room_facts, says
from liveshop.live.shelf import shelf
from liveshop.payments import access
from liveshop.payments.ledger import (
    AccountKind,
    get_account,
    platform_account,
    post_transaction,
    user_account,
)
from liveshop.payments.models import RedPacket, RedPacketShare, RedPacketStatus
from liveshop.payments.wallets import CURRENCY

DROP = "red_packet"
GRAB = "red_packet_grab"
RETURN = "red_packet_return"
MAX_SHARES = 1_000
MAX_TOTAL = 2_000_000  # 分: 20,000 元 in one packet


def split_double_mean(total: int, shares: int, rng: random.Random) -> list[int]:
    """``shares`` random amounts of at least 1 that add up to ``total`` exactly."""
    if shares < 1 or total < shares:
        raise InvalidInput("each share is at least 1 分", code="shares_too_small")
    amounts = []
    left = total
    for remaining in range(shares, 1, -1):
        upper = min(2 * left // remaining, left - (remaining - 1))
        amount = rng.randint(1, max(1, upper))
        amounts.append(amount)
        left -= amount
    amounts.append(left)
    return amounts


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _may_drop(session: Session, *, sender: User, room_id: int) -> None:
    """The room's host, or a merchant whose products are on the room's shelf."""
    facts = room_facts(session, room_id)
    if facts.status != "live":
        raise Conflict("red packets are dropped while the room is live", code="room_not_live")
    own_shop = shop_of(session, user=sender)
    access.require_red_packet_dropper(
        sender,
        host_id=facts.host_id,
        own_shop_id=own_shop.id if own_shop is not None else None,
        shelf_shop_ids={product.shop_id for product in shelf(session, room_id=room_id)},
    )


def _replayed(session: Session, *, sender: User, key: str, fingerprint: str) -> RedPacket | None:
    """The packet this key already dropped (a retry), or None; another body is a Conflict."""
    existing = session.scalars(
        select(RedPacket).where(RedPacket.sender_id == sender.id, RedPacket.idempotency_key == key)
    ).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used for another red packet", code="idempotency_conflict"
        )
    return existing


def drop_red_packet(
    session: Session,
    *,
    sender: User,
    room_id: int,
    total: int,
    shares: int,
    greeting: str,
    minutes: int,
    idempotency_key: str,
    now: datetime | None = None,
) -> RedPacket:
    """Take ``total`` from the sender's wallet into escrow, split into ``shares``."""
    access.require_money_mover(sender)
    fingerprint = _fingerprint(room_id, total, shares, greeting)
    existing = _replayed(session, sender=sender, key=idempotency_key, fingerprint=fingerprint)
    if existing is not None:
        return existing
    if not 1 <= shares <= MAX_SHARES or not shares <= total <= MAX_TOTAL:
        raise InvalidInput(
            f"1 to {MAX_SHARES} shares of at least 1 分 each, at most {MAX_TOTAL} 分 in all",
            code="bad_red_packet",
        )
    _may_drop(session, sender=sender, room_id=room_id)
    now = now or utcnow()
    packet = RedPacket(
        room_id=room_id,
        sender_id=sender.id,
        total=total,
        currency=CURRENCY,
        shares=shares,
        grabbed=0,
        status=RedPacketStatus.OPEN,
        greeting=greeting,
        expires_at=now + timedelta(minutes=minutes),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    try:
        with session.begin_nested():
            session.add(packet)
            session.flush()
    except IntegrityError:
        # The same drop, submitted at the same moment, was stored first: answer with it.
        existing = _replayed(session, sender=sender, key=idempotency_key, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing
    rng = random.Random(secrets.randbits(64))
    session.add_all(
        RedPacketShare(packet_id=packet.id, position=position, amount=amount)
        for position, amount in enumerate(split_double_mean(total, shares, rng))
    )
    wallet = user_account(AccountKind.BUYER_WALLET, sender.id, CURRENCY)
    post_transaction(
        session,
        kind=DROP,
        reference=str(packet.id),
        postings=[
            (get_account(session, wallet), -total),
            (
                get_account(session, platform_account(AccountKind.RED_PACKET_ESCROW, CURRENCY)),
                total,
            ),
        ],
        memo=f"red packet {packet.id} in room {room_id}",
    )
    line, sent = f"红包来了: {greeting or '抢红包'}", says("red_packet", greeting=greeting)
    publish_after_commit(session, packet_notice(packet, line=line, said=sent))
    return packet


def grab_red_packet(
    session: Session, *, user: User, packet_id: int, now: datetime | None = None
) -> RedPacketShare:
    """Give the viewer the next share: once per viewer, never more shares than exist."""
    access.require_money_mover(user)
    now = now or utcnow()
    packet = session.get(RedPacket, packet_id)
    if packet is None:
        raise NotFound(f"red packet {packet_id} not found", code="red_packet_not_found")
    if packet.sender_id == user.id:
        raise Conflict("the sender does not grab their own red packet", code="own_red_packet")
    mine = session.scalars(
        select(RedPacketShare).where(
            RedPacketShare.packet_id == packet_id, RedPacketShare.user_id == user.id
        )
    ).first()
    if mine is not None:
        raise Conflict("you grabbed this red packet already", code="already_grabbed")
    refuse_unless_allowed(
        RiskRequest(
            path=RiskPath.RED_PACKET_GRAB,
            user_id=user.id,
            account_created_at=as_utc(user.created_at),
            at=now,
            merchant_id=packet.sender_id,
            room_id=packet.room_id,
            subject=f"red_packet:{packet.id}",
        ),
        session=session,
    )  # farms of accounts on a few devices
    position = _claim_position(session, packet_id=packet_id, now=now)
    try:
        with session.begin_nested():
            session.execute(
                update(RedPacketShare)
                .where(RedPacketShare.packet_id == packet_id, RedPacketShare.position == position)
                .values(user_id=user.id, grabbed_at=now)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as error:
        # The same viewer's other grab won the race; the counter goes back with this one.
        raise Conflict("you grabbed this red packet already", code="already_grabbed") from error
    share = session.scalars(
        select(RedPacketShare).where(
            RedPacketShare.packet_id == packet_id, RedPacketShare.position == position
        )
    ).one()
    session.refresh(share)
    _book_grab(session, packet=packet, share=share, user_id=user.id)
    return share


def _claim_position(session: Session, *, packet_id: int, now: datetime) -> int:
    claimed = session.execute(
        update(RedPacket)
        .where(
            RedPacket.id == packet_id,
            RedPacket.status == RedPacketStatus.OPEN,
            RedPacket.grabbed < RedPacket.shares,
            RedPacket.expires_at > now,
        )
        .values(grabbed=RedPacket.grabbed + 1)
        .returning(RedPacket.grabbed, RedPacket.shares)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        raise Conflict("this red packet is empty or over", code="red_packet_empty")
    grabbed, shares = claimed
    if grabbed == shares:
        session.execute(
            update(RedPacket)
            .where(RedPacket.id == packet_id)
            .values(status=RedPacketStatus.EMPTY)
            .execution_options(synchronize_session=False)
        )
    return int(grabbed) - 1


def _book_grab(session: Session, *, packet: RedPacket, share: RedPacketShare, user_id: int) -> None:
    escrow = platform_account(AccountKind.RED_PACKET_ESCROW, CURRENCY)
    wallet = user_account(AccountKind.BUYER_WALLET, user_id, CURRENCY)
    post_transaction(
        session,
        kind=GRAB,
        reference=f"{packet.id}:{share.position}",
        postings=[
            (get_account(session, escrow), -share.amount),
            (get_account(session, wallet), share.amount),
        ],
        memo=f"red packet {packet.id} grabbed in room {packet.room_id}",
    )
    session.refresh(packet)
    publish_after_commit(session, packet_notice(packet))


def return_expired_red_packets(session: Session, *, now: datetime | None = None) -> int:
    """Give back what is left of every packet past its deadline; returns how many."""
    now = now or utcnow()
    expired = session.scalars(
        select(RedPacket).where(
            RedPacket.status == RedPacketStatus.OPEN, RedPacket.expires_at <= now
        )
    ).all()
    for packet in expired:
        _return_left(session, packet=packet)
    return len(expired)


def _return_left(session: Session, *, packet: RedPacket) -> None:
    closed = session.execute(
        update(RedPacket)
        .where(RedPacket.id == packet.id, RedPacket.status == RedPacketStatus.OPEN)
        .values(status=RedPacketStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    if not getattr(closed, "rowcount", 0):
        return  # closed meanwhile (emptied, or returned by another worker)
    left = session.scalar(
        select(func.coalesce(func.sum(RedPacketShare.amount), 0)).where(
            RedPacketShare.packet_id == packet.id, RedPacketShare.user_id.is_(None)
        )
    )
    if left:
        escrow = platform_account(AccountKind.RED_PACKET_ESCROW, CURRENCY)
        wallet = user_account(AccountKind.BUYER_WALLET, packet.sender_id, CURRENCY)
        post_transaction(
            session,
            kind=RETURN,
            reference=str(packet.id),
            postings=[
                (get_account(session, escrow), -int(left)),
                (get_account(session, wallet), int(left)),
            ],
            memo=f"red packet {packet.id}: {left} 分 unclaimed, back to the sender",
        )
    session.refresh(packet)
    publish_after_commit(session, packet_notice(packet))


def packet_notice(
    packet: RedPacket, *, line: str | None = None, said: dict[str, Any] | None = None
) -> RoomNotice:
    payload = {
        "id": packet.id,
        "total": packet.total,
        "shares": packet.shares,
        "left": packet.shares - packet.grabbed,
        "greeting": packet.greeting,
        "status": packet.status.value,
        "expires_at": as_utc(packet.expires_at).isoformat(),
    }
    return RoomNotice(
        room_id=packet.room_id,
        topic=f"red_packet:{packet.id}",
        payload=payload,
        line=line,
        says=said,
    )


def open_packet_notices(session: Session, room_id: int) -> list[RoomNotice]:
    """The room's open red packets, for the snapshot of a room whose channel opens late."""
    packets = session.scalars(
        select(RedPacket).where(
            RedPacket.room_id == room_id, RedPacket.status == RedPacketStatus.OPEN
        )
    ).all()
    return [packet_notice(packet) for packet in packets]
