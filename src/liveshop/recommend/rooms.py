"""Which live or soon-starting rooms a viewer sees first.

A room's score: live beats scheduled (sooner beats later), its audience (viewers
now and the model's decayed engagement), a host the viewer follows or a shop the
host runs or staffs that the viewer follows, a reminder the viewer set,
the viewer's history with the host (trained, and this session's joins), and an
exploration bonus for new hosts so they are seen at all. At least one slot of the
top few goes to a new host when one is on.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Shop, ShopFollower, ShopStaff
from liveshop.core.clock import utcnow
from liveshop.live.models import Room, RoomStatus
from liveshop.live.service import list_rooms
from liveshop.notifications.follows import my_follows
from liveshop.recommend.model_store import ModelArtifact
from liveshop.recommend.reasons import sentence
from liveshop.recommend.schemas import RecommendedRoom
from liveshop.recommend.sessions import Action

SOON = timedelta(hours=2)  # a scheduled room is offered this long before it starts
NEW_HOST_ROOMS = 3  # a host with fewer rooms than this is new
FOLLOWED_BOOST = 2.0
REMINDER_BOOST = 1.5  # the viewer asked to be reminded of this room
AFFINITY_BOOST = 1.0
SESSION_BOOST = 1.0
EXPLORATION_BOOST = 0.4
EXPLORATION_SLOT = 3  # a new host is placed no lower than this (1-based) when on
ROOM_LISTING_LIMIT = 500


def _followed_hosts(session: Session, viewer_id: int | None, hosts: set[int]) -> dict[int, str]:
    """host id -> the name of the shop the host runs or staffs, for shops the viewer
    follows (there are no follows of hosts themselves)."""
    if viewer_id is None or not hosts:
        return {}
    followed = (
        select(Shop.id, Shop.owner_id, Shop.name)
        .join(ShopFollower, ShopFollower.shop_id == Shop.id)
        .where(ShopFollower.user_id == viewer_id)
        .subquery()
    )
    owners = select(followed.c.owner_id, followed.c.name).where(followed.c.owner_id.in_(hosts))
    staff = (
        select(ShopStaff.user_id, followed.c.name)
        .join(followed, followed.c.id == ShopStaff.shop_id)
        .where(ShopStaff.user_id.in_(hosts))
    )
    return {host: name for host, name in session.execute(owners.union_all(staff)).tuples()}


def _new_hosts(session: Session, hosts: set[int]) -> set[int]:
    if not hosts:
        return set()
    counts = dict(
        session.execute(
            select(Room.host_id, func.count(Room.id))
            .where(Room.host_id.in_(hosts))
            .group_by(Room.host_id)
        )
        .tuples()
        .all()
    )
    return {host for host in hosts if counts.get(host, 0) < NEW_HOST_ROOMS}


def recommend_rooms(
    session: Session,
    *,
    model: ModelArtifact | None,
    viewer: User | None,
    viewer_key: str | None,
    actions: list[Action],
    limit: int,
    now: datetime | None = None,
) -> list[RecommendedRoom]:
    """``viewer_key`` (the pseudonym) is None when the ranking must not be personal;
    ``viewer`` still finds the hosts and shops the viewer chose to follow."""
    now = now or utcnow()
    rooms = list_rooms(session, status=RoomStatus.LIVE, limit=ROOM_LISTING_LIMIT) + [
        room
        for room in list_rooms(session, status=RoomStatus.SCHEDULED, limit=ROOM_LISTING_LIMIT)
        if room.scheduled_at is not None and now - SOON / 4 <= room.scheduled_at <= now + SOON
    ]
    hosts = {room.host.id for room in rooms}
    followed = _followed_hosts(session, viewer.id if viewer else None, hosts)
    follows = my_follows(session, user=viewer) if viewer is not None else None
    followed_hosts = set(follows.hosts) if follows else set()
    reminders = set(follows.rooms) if follows else set()
    new = _new_hosts(session, hosts)
    affinity = model.host_affinity.get(viewer_key, {}) if model and viewer_key else {}
    peak_affinity = max(affinity.values(), default=1.0)
    joined_rooms = {a.room_id for a in actions if a.room_id} if viewer_key else set()
    joined_hosts = {room.host.id for room in rooms if room.id in joined_rooms}
    picks = []
    for room in rooms:
        live = room.status is RoomStatus.LIVE
        engagement = (model.room_popularity.get(room.id, 0.0) if model else 0.0) + room.viewers
        score = (1.0 if live else 0.5) + 0.1 * math.log1p(engagement)
        if not live and room.scheduled_at is not None:
            score -= 0.2 * max(0.0, (room.scheduled_at - now) / SOON)
        reasons: list[tuple[float, str, str]] = [
            (
                0.0,
                "popular_live" if live and engagement else "live_now" if live else "starting_soon",
                "",
            )
        ]
        host, shop = room.host, followed.get(room.host.id)
        if shop is not None:
            score += FOLLOWED_BOOST
            reasons.append((FOLLOWED_BOOST, "followed_shop", shop))
        if host.id in followed_hosts:
            score += FOLLOWED_BOOST
            reasons.append((FOLLOWED_BOOST * 1.01, "followed_host", host.username))
        if room.id in reminders:
            score += REMINDER_BOOST
            reasons.append((REMINDER_BOOST, "reminder_set", ""))
        if host.id in affinity:
            boost = AFFINITY_BOOST * affinity[host.id] / peak_affinity
            score += boost
            reasons.append((boost, "watched_host", host.username))
        if host.id in joined_hosts:
            score += SESSION_BOOST
            reasons.append((SESSION_BOOST, "just_watched_host", host.username))
        if host.id in new:
            score += EXPLORATION_BOOST
            reasons.append((EXPLORATION_BOOST * 0.99, "new_host", host.username))
        _weight, kind, subject = max(reasons, key=lambda r: r[0])
        picks.append(
            RecommendedRoom(
                room_id=room.id,
                title=room.title,
                host_id=host.id,
                host_name=host.username,
                status=room.status.value,
                scheduled_at=room.scheduled_at,
                viewers=room.viewers,
                score=round(score, 4),
                reason=sentence(kind, subject),
                reason_kind=kind,
                reason_subject=subject,
            )
        )
    picks.sort(key=lambda p: (-p.score, p.room_id))
    return _explore(picks, new)[:limit]


def _explore(picks: list[RecommendedRoom], new: set[int]) -> list[RecommendedRoom]:
    """Move the best new host's room up to ``EXPLORATION_SLOT`` if it ranks below."""
    placed = [i for i, pick in enumerate(picks) if pick.host_id in new]
    if not placed or placed[0] < EXPLORATION_SLOT:
        return picks
    chosen = picks.pop(placed[0])
    picks.insert(EXPLORATION_SLOT - 1, chosen)
    return picks
