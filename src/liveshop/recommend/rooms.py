"""Which live or soon-starting rooms a viewer sees first.

A room's score: live beats scheduled (sooner beats later), its audience (viewers
now and the model's decayed engagement), a host the viewer follows or a shop the
host runs or staffs that the viewer follows, a reminder the viewer set,
the viewer's history with the host (trained, and this session's joins), what the
room sells against what the viewer likes (its shelf against the viewer's products
and categories, ``room_content.py``), and an exploration bonus for new hosts so
they are seen at all. At least one slot of the top few goes to a new host when
one is on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, CompoundSelect, bindparam, func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Shop, ShopFollower, ShopStaff
from liveshop.core.clock import utcnow
from liveshop.live.listed_rooms import ListedRoom, listed_rooms
from liveshop.live.models import Room, RoomStatus
from liveshop.notifications.follows import my_follows
from liveshop.recommend.reasons import sentence
from liveshop.recommend.room_content import RoomMatch, match_rooms, viewer_interests
from liveshop.recommend.schemas import RecommendedRoom
from liveshop.recommend.serving import ServedModel
from liveshop.recommend.sessions import Action

SOON = timedelta(hours=2)  # a scheduled room is offered this long before it starts
NEW_HOST_ROOMS = 3  # a host with fewer rooms than this is new
FOLLOWED_BOOST = 2.0
REMINDER_BOOST = 1.5  # the viewer asked to be reminded of this room
AFFINITY_BOOST = 1.0
SESSION_BOOST = 1.0
CONTENT_BOOST = 1.0  # times the shelf's match (0..1): as much as the host's history
EXPLORATION_BOOST = 0.4
EXPLORATION_SLOT = 3  # a new host is placed no lower than this (1-based) when on
ROOM_LISTING_LIMIT = 500
# Which reason names a room when two boosts are equal: a followed host over a followed
# shop, anything over "new host".
REASON_PREFERENCE = {"followed_host": 1.01, "new_host": 0.99}


def _followed_shop_hosts() -> CompoundSelect[int, str]:
    """host id, shop name: the hosts among ``:hosts`` who run or staff a shop that
    ``:viewer`` follows (there are no follows of hosts themselves)."""
    followed = (
        select(Shop.id, Shop.owner_id, Shop.name)
        .join(ShopFollower, ShopFollower.shop_id == Shop.id)
        .where(ShopFollower.user_id == bindparam("viewer"))
        .subquery()
    )
    hosts: BindParameter[list[int]] = bindparam("hosts", expanding=True)
    owners = select(followed.c.owner_id, followed.c.name).where(followed.c.owner_id.in_(hosts))
    staff = (
        select(ShopStaff.user_id, followed.c.name)
        .join(followed, followed.c.id == ShopStaff.shop_id)
        .where(ShopStaff.user_id.in_(hosts))
    )
    return owners.union_all(staff)


# Built once: a request binds its values instead of building (and keying) the SQL again.
FOLLOWED_SHOP_HOSTS = _followed_shop_hosts()
ROOMS_PER_HOST = (
    select(Room.host_id, func.count(Room.id))
    .where(Room.host_id.in_(bindparam("hosts", expanding=True)))
    .group_by(Room.host_id)
)


def _followed_hosts(session: Session, viewer_id: int | None, hosts: set[int]) -> dict[int, str]:
    """host id -> the name of the shop the host runs or staffs, for shops the viewer
    follows."""
    if viewer_id is None or not hosts:
        return {}
    found = session.execute(FOLLOWED_SHOP_HOSTS, {"viewer": viewer_id, "hosts": list(hosts)})
    return {host: name for host, name in found.tuples()}


def _new_hosts(session: Session, hosts: set[int]) -> set[int]:
    if not hosts:
        return set()
    counts = dict(session.execute(ROOMS_PER_HOST, {"hosts": list(hosts)}).tuples().all())
    return {host for host in hosts if counts.get(host, 0) < NEW_HOST_ROOMS}


@dataclass(frozen=True)
class Signals:
    """What the ranking knows of the viewer, read once per request."""

    followed_shops: dict[int, str]  # host id -> the followed shop's name
    followed_hosts: set[int]
    reminders: set[int]  # room ids
    new_hosts: set[int]
    affinity: dict[int, float]  # host id -> trained share of the viewer's watching (0..1)
    joined_hosts: set[int]  # this session
    matches: dict[int, RoomMatch]  # room id -> the shelf against the viewer's interests


def _open_rooms(session: Session, now: datetime) -> list[ListedRoom]:
    listed = listed_rooms(
        session, statuses=(RoomStatus.LIVE, RoomStatus.SCHEDULED), limit=ROOM_LISTING_LIMIT
    )
    return [
        room
        for room in listed
        if room.status is RoomStatus.LIVE
        or (room.scheduled_at is not None and now - SOON / 4 <= room.scheduled_at <= now + SOON)
    ]


def _signals(
    session: Session,
    rooms: list[ListedRoom],
    *,
    served: ServedModel,
    viewer: User | None,
    viewer_key: str | None,
    actions: list[Action],
) -> Signals:
    hosts = {room.host_id for room in rooms}
    follows = my_follows(session, user=viewer) if viewer is not None else None
    model = served.model
    affinity = model.host_affinity.get(viewer_key, {}) if model and viewer_key else {}
    peak = max(affinity.values(), default=1.0)
    joined_rooms = {a.room_id for a in actions if a.room_id} if viewer_key else set()
    interests = viewer_interests(served, viewer_key, actions) if viewer_key else {}
    return Signals(
        followed_shops=_followed_hosts(session, viewer.id if viewer else None, hosts),
        followed_hosts=set(follows.hosts) if follows else set(),
        reminders=set(follows.rooms) if follows else set(),
        new_hosts=_new_hosts(session, hosts),
        affinity={host: value / peak for host, value in affinity.items()},
        joined_hosts={room.host_id for room in rooms if room.id in joined_rooms},
        matches=match_rooms(session, room_ids=[room.id for room in rooms], interests=interests),
    )


def _boosts(room: ListedRoom, signals: Signals) -> list[tuple[float, str, str]]:
    """(boost, reason kind, subject) for each signal that holds for ``room``."""
    host_id, host_name = room.host_id, room.host_name
    found: list[tuple[float, str, str]] = []
    if host_id in signals.followed_shops:
        found.append((FOLLOWED_BOOST, "followed_shop", signals.followed_shops[host_id]))
    if host_id in signals.followed_hosts:
        found.append((FOLLOWED_BOOST, "followed_host", host_name))
    if room.id in signals.reminders:
        found.append((REMINDER_BOOST, "reminder_set", ""))
    if host_id in signals.affinity:
        found.append((AFFINITY_BOOST * signals.affinity[host_id], "watched_host", host_name))
    if host_id in signals.joined_hosts:
        found.append((SESSION_BOOST, "just_watched_host", host_name))
    match = signals.matches.get(room.id)
    if match is not None:
        kind = "because_you_just_looked_at" if match.fresh else "because_you_watched"
        found.append((CONTENT_BOOST * match.weight, kind, match.anchor_title))
    if host_id in signals.new_hosts:
        found.append((EXPLORATION_BOOST, "new_host", host_name))
    return found


@dataclass(frozen=True)
class Pick:
    """A room as ranked; only the ones shown become a ``RecommendedRoom``."""

    room: ListedRoom
    score: float
    reason_kind: str
    reason_subject: str

    def shown(self) -> RecommendedRoom:
        room = self.room
        return RecommendedRoom(
            room_id=room.id,
            title=room.title,
            host_id=room.host_id,
            host_name=room.host_name,
            status=room.status.value,
            scheduled_at=room.scheduled_at,
            viewers=room.viewers,
            score=round(self.score, 4),
            reason=sentence(self.reason_kind, self.reason_subject),
            reason_kind=self.reason_kind,
            reason_subject=self.reason_subject,
        )


def _pick(room: ListedRoom, signals: Signals, engagement: float, now: datetime) -> Pick:
    live = room.status is RoomStatus.LIVE
    score = (1.0 if live else 0.5) + 0.1 * math.log1p(engagement)
    if not live and room.scheduled_at is not None:
        score -= 0.2 * max(0.0, (room.scheduled_at - now) / SOON)
    boosts = _boosts(room, signals)
    score += sum(boost for boost, _kind, _subject in boosts)
    plain = "popular_live" if live and engagement else "live_now" if live else "starting_soon"
    # The strongest boost names the reason; a shelf match without a product of the
    # viewer's to name gives none.
    named = [
        (boost * REASON_PREFERENCE.get(kind, 1.0), kind, subject)
        for boost, kind, subject in boosts
        if subject or kind == "reminder_set"
    ]
    _weight, kind, subject = max([(0.0, plain, ""), *named], key=lambda r: r[0])
    return Pick(room, score, kind, subject)


def recommend_rooms(
    session: Session,
    *,
    served: ServedModel,
    viewer: User | None,
    viewer_key: str | None,
    actions: list[Action],
    limit: int,
    now: datetime | None = None,
) -> list[RecommendedRoom]:
    """``viewer_key`` (the pseudonym) is None when the ranking must not be personal;
    ``viewer`` still finds the hosts and shops the viewer chose to follow."""
    now = now or utcnow()
    rooms = _open_rooms(session, now)
    signals = _signals(
        session, rooms, served=served, viewer=viewer, viewer_key=viewer_key, actions=actions
    )
    model = served.model
    picks = []
    for room in rooms:
        engagement = (model.room_popularity.get(room.id, 0.0) if model else 0.0) + room.viewers
        picks.append(_pick(room, signals, engagement, now))
    picks.sort(key=lambda p: (-round(p.score, 4), p.room.id))
    return [pick.shown() for pick in _explore(picks, signals.new_hosts)[:limit]]


def _explore(picks: list[Pick], new: set[int]) -> list[Pick]:
    """Move the best new host's room up to ``EXPLORATION_SLOT`` if it ranks below."""
    placed = [i for i, pick in enumerate(picks) if pick.room.host_id in new]
    if not placed or placed[0] < EXPLORATION_SLOT:
        return picks
    chosen = picks.pop(placed[0])
    picks.insert(EXPLORATION_SLOT - 1, chosen)
    return picks
