"""Money in the room over HTTP: gifts from coins, red packets dropped and grabbed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.core.clock import as_utc
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import NotFound
from liveshop.payments import gifts, red_packets, wallets
from liveshop.payments.models import RedPacket, RedPacketShare, RedPacketStatus
from liveshop.payments.schemas import (
    GiftOut,
    GiftSendIn,
    GiftSendOut,
    GrabOut,
    RedPacketGrabOut,
    RedPacketIn,
    RedPacketOut,
)

router = APIRouter(prefix="/api", tags=["gifts and red packets"])

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=100)]


@router.get("/gifts")
def gift_catalogue() -> list[GiftOut]:
    return [GiftOut(**vars(gift)) for gift in gifts.CATALOGUE]


@router.post("/rooms/{room_id}/gifts", status_code=status.HTTP_201_CREATED)
def send_gift(
    room_id: RowId,
    body: GiftSendIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> GiftSendOut:
    """Send gifts to the room's host from your coins (409 insufficient_funds if short)."""
    send = gifts.send_gift(
        session,
        sender=user,
        room_id=room_id,
        gift_code=body.gift,
        count=body.count,
        idempotency_key=idempotency_key,
        host_share_bps=settings.gift_host_share_bps,
    )
    return GiftSendOut(
        id=send.id,
        room_id=send.room_id,
        gift=send.gift_code,
        count=send.count,
        coins=send.coins,
        coins_left=wallets.balances_of(session, user_id=user.id).coins,
    )


def _packet_out(session: Session, packet: RedPacket) -> RedPacketOut:
    grabs = session.execute(
        select(User.public_name, RedPacketShare.amount, RedPacketShare.grabbed_at)
        .join(User, User.id == RedPacketShare.user_id)
        .where(RedPacketShare.packet_id == packet.id)
        .order_by(RedPacketShare.grabbed_at, RedPacketShare.position)
    ).all()
    return RedPacketOut(
        id=packet.id,
        room_id=packet.room_id,
        total=packet.total,
        shares=packet.shares,
        left=packet.shares - packet.grabbed,
        greeting=packet.greeting,
        status=packet.status.value,
        expires_at=as_utc(packet.expires_at),
        grabs=[
            RedPacketGrabOut(user=name, amount=amount, grabbed_at=as_utc(at))
            for name, amount, at in grabs
            if at is not None  # set with user_id, in one update
        ],
    )


@router.post("/rooms/{room_id}/red-packets", status_code=status.HTTP_201_CREATED)
def drop_red_packet(
    room_id: RowId,
    body: RedPacketIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
) -> RedPacketOut:
    """The room's host (or a merchant on its shelf) drops a red packet from their wallet."""
    packet = red_packets.drop_red_packet(
        session,
        sender=user,
        room_id=room_id,
        total=body.total,
        shares=body.shares,
        greeting=body.greeting,
        minutes=body.minutes or settings.red_packet_minutes,
        idempotency_key=idempotency_key,
    )
    return _packet_out(session, packet)


@router.get("/rooms/{room_id}/red-packets")
def open_red_packets(room_id: RowId, session: DbSession) -> list[RedPacketOut]:
    packets = session.scalars(
        select(RedPacket)
        .where(RedPacket.room_id == room_id, RedPacket.status == RedPacketStatus.OPEN)
        .order_by(RedPacket.id)
    ).all()
    return [_packet_out(session, packet) for packet in packets]


@router.get("/red-packets/{packet_id}")
def get_red_packet(packet_id: RowId, session: DbSession) -> RedPacketOut:
    packet = session.get(RedPacket, packet_id)
    if packet is None:
        raise NotFound(f"red packet {packet_id} not found", code="red_packet_not_found")
    return _packet_out(session, packet)


@router.post("/red-packets/{packet_id}/grab", status_code=status.HTTP_201_CREATED)
def grab_red_packet(packet_id: RowId, user: CurrentUser, session: DbSession) -> GrabOut:
    """Grab a share (once per viewer): 409 red_packet_empty when none is left."""
    share = red_packets.grab_red_packet(session, user=user, packet_id=packet_id)
    return GrabOut(packet_id=packet_id, amount=share.amount)
