"""Following hosts (shops are followed in catalog) and reminders for scheduled rooms (预约).

Following twice, or unfollowing what one does not follow, changes nothing.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import ShopFollower
from liveshop.core.errors import Conflict
from liveshop.core.rooms import room_facts
from liveshop.notifications import access
from liveshop.notifications.models import HostFollower, RoomReminder
from liveshop.notifications.schemas import FollowsOut

SCHEDULED = "scheduled"


def follow_host(session: Session, *, user: User, host_id: int) -> None:
    access.require_follower(user)
    access.require_followable_host(user, host=session.get(User, host_id))
    try:
        with session.begin_nested():
            session.add(HostFollower(host_id=host_id, user_id=user.id))
    except IntegrityError:
        pass  # already following


def unfollow_host(session: Session, *, user: User, host_id: int) -> None:
    access.require_follower(user)
    session.execute(
        delete(HostFollower).where(HostFollower.host_id == host_id, HostFollower.user_id == user.id)
    )


def subscribe_to_room(session: Session, *, user: User, room_id: int) -> None:
    """Ask to be reminded before a scheduled room starts (a live or ended one is a Conflict)."""
    access.require_follower(user)
    facts = room_facts(session, room_id)
    if facts.status != SCHEDULED:
        raise Conflict(
            f"only a scheduled room takes reminders; this one is {facts.status}",
            code="room_not_scheduled",
        )
    try:
        with session.begin_nested():
            session.add(RoomReminder(room_id=room_id, user_id=user.id))
    except IntegrityError:
        pass


def unsubscribe_from_room(session: Session, *, user: User, room_id: int) -> None:
    access.require_follower(user)
    room_facts(session, room_id)  # a missing room is a 404
    session.execute(
        delete(RoomReminder).where(RoomReminder.room_id == room_id, RoomReminder.user_id == user.id)
    )


# Built once: the rooms' recommendation asks on every request, and building and keying
# three statements each time was a seventh of its CPU.
FOLLOWED_HOSTS = (
    select(HostFollower.host_id)
    .where(HostFollower.user_id == bindparam("user_id"))
    .order_by(HostFollower.id)
)
FOLLOWED_SHOPS = (
    select(ShopFollower.shop_id)
    .where(ShopFollower.user_id == bindparam("user_id"))
    .order_by(ShopFollower.id)
)
AWAITED_ROOMS = (
    select(RoomReminder.room_id)
    .where(RoomReminder.user_id == bindparam("user_id"), RoomReminder.reminded_at.is_(None))
    .order_by(RoomReminder.id)
)


def my_follows(session: Session, *, user: User) -> FollowsOut:
    values = {"user_id": user.id}
    hosts = session.scalars(FOLLOWED_HOSTS, values).all()
    shops = session.scalars(FOLLOWED_SHOPS, values).all()
    rooms = session.scalars(AWAITED_ROOMS, values).all()
    return FollowsOut(hosts=list(hosts), shops=list(shops), rooms=list(rooms))
