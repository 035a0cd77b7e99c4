"""Scheduled notices: a subscribed room starts soon; a claimed coupon is about to expire."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.live.models import Room, RoomStatus
from liveshop.notifications.centre import Mailing, Notice, notify_users
from liveshop.notifications.models import NotificationKind, RoomReminder
from liveshop.promotions.models import Coupon, UserCoupon

COUPON_WARNING = timedelta(hours=24)  # "expires tomorrow" is when people still use it
BATCH = 1_000


def remind_starting_rooms(
    session: Session, *, minutes: int, mailing: Mailing | None, now: datetime | None = None
) -> int:
    """Remind subscribers of rooms scheduled to start within ``minutes``; each reminder
    is sent once (its row is marked first, conditionally). The number reminded."""
    moment = now or utcnow()
    due = session.execute(
        select(
            RoomReminder.id,
            RoomReminder.user_id,
            Room.id,
            Room.title,
            Room.scheduled_at,
            Room.host_id,
        )
        .join(Room, Room.id == RoomReminder.room_id)
        .where(
            RoomReminder.reminded_at.is_(None),
            Room.status == RoomStatus.SCHEDULED,
            Room.scheduled_at.is_not(None),
            Room.scheduled_at <= moment + timedelta(minutes=minutes),
            Room.scheduled_at > moment - timedelta(minutes=minutes),
        )
        .order_by(RoomReminder.id)
        .limit(BATCH)
    ).all()
    by_room: dict[int, list[int]] = defaultdict(list)
    rooms: dict[int, tuple[str, datetime, int]] = {}
    for reminder_id, user_id, room_id, title, scheduled_at, host_id in due:
        marked = session.execute(
            update(RoomReminder)
            .where(RoomReminder.id == reminder_id, RoomReminder.reminded_at.is_(None))
            .values(reminded_at=moment)
        )
        if rows_changed(marked) and scheduled_at is not None:
            by_room[room_id].append(user_id)
            rooms[room_id] = (title, scheduled_at, host_id)
    reminded = 0
    for room_id, user_ids in by_room.items():
        title, scheduled_at, host_id = rooms[room_id]
        host = session.get_one(User, host_id)
        left = max(1, round((scheduled_at - moment).total_seconds() / 60))
        notice = Notice(
            NotificationKind.ROOM_STARTING,
            f"room_starting:{room_id}",
            {"host": host.username, "room": title, "minutes": left},
            f"/rooms/{room_id}",
        )
        reminded += notify_users(
            session, user_ids=user_ids, notice=notice, mailing=mailing, now=moment
        )
    return reminded


def warn_expiring_coupons(
    session: Session, *, mailing: Mailing | None, now: datetime | None = None
) -> int:
    """Tell holders of unused coupons that end within a day (once per coupon held)."""
    moment = now or utcnow()
    rows = session.execute(
        select(UserCoupon.id, UserCoupon.user_id, Coupon.name, Coupon.ends_at)
        .join(Coupon, Coupon.id == UserCoupon.coupon_id)
        .where(
            UserCoupon.order_id.is_(None),
            Coupon.ends_at > moment,
            Coupon.ends_at <= moment + COUPON_WARNING,
        )
        .order_by(UserCoupon.id)
        .limit(BATCH)
    ).all()
    warned = 0
    for held_id, user_id, name, ends_at in rows:
        hours = max(1, round((ends_at - moment).total_seconds() / 3600))
        notice = Notice(
            NotificationKind.COUPON_EXPIRING,
            f"coupon_expiring:{held_id}",
            {"coupon": name, "hours": hours},
            "/wallet",
        )
        warned += notify_users(
            session, user_ids=[user_id], notice=notice, mailing=mailing, now=moment
        )
    return warned
