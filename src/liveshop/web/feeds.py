"""The home feed and shelves as recommendations order them, with reasons in the page's
language (the API gives English sentences and a stable kind)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.live import service as live
from liveshop.live.models import Room, RoomStatus
from liveshop.live.schemas import RoomOut
from liveshop.media.recordings import latest_replays
from liveshop.recommend.schemas import RecommendedProduct
from liveshop.recommend.service import (
    Recommendations,
    recommend_live_rooms,
    recommend_products,
)
from liveshop.web.i18n import N_

HOME_PRODUCTS = 8
HOME_ROOMS = 50
HOME_REPLAYS = 8

# Chinese msgids, translated for the page (web/i18n.py).
REASONS = {
    "because_you_watched": N_("因为你看过「{subject}」"),
    "because_you_just_looked_at": N_("你刚看过「{subject}」"),
    "similar_to": N_("和「{subject}」相似"),
    "on_the_shelf": N_("本直播间在售"),
    "popular_in": N_("「{subject}」热卖"),
    "popular": N_("正在热卖"),
    "buy_again": N_("再次购买"),
    "picked_for_you": N_("为你推荐"),
    "followed_host": N_("你关注的主播 {subject}"),
    "reminder_set": N_("你预约了这场直播"),
    "followed_shop": N_("你关注的「{subject}」"),
    "watched_host": N_("你看过 {subject} 的直播"),
    "just_watched_host": N_("你刚看过 {subject}"),
    "new_host": N_("新主播"),
    "popular_live": N_("热门直播"),
    "live_now": N_("直播中"),
    "starting_soon": N_("即将开播"),
    # The product page's own: a same-category product topping up "more like this".
    "same_category": N_("同属「{subject}」"),
}


def reason_text(kind: str, subject: str, translate: Callable[[str], str]) -> str:
    """The reason in the page's language (``translate``: its gettext)."""
    return translate(REASONS.get(kind, REASONS["picked_for_you"])).format(subject=subject)


def _ordered(rooms: list[RoomOut], order: dict[int, int]) -> list[RoomOut]:
    """Recommended rooms first in their order; the rest keep the listing's order."""
    return sorted(rooms, key=lambda room: order.get(room.id, len(order)))


@dataclass(frozen=True)
class ReplayView:
    """An ended show to watch again, as the home and product pages list it."""

    id: int
    title: str
    host: str  # the host's username
    ended_at: datetime | None


def replay_views(
    session: Session, *, limit: int, product_id: int | None = None
) -> list[ReplayView]:
    """``media.recordings.latest_replays`` with each room's title and host, in one
    statement (not a room's API view each, which costs two more)."""
    room_ids = latest_replays(session, limit=limit, product_id=product_id)
    rows = session.execute(
        select(Room.id, Room.title, User.username, Room.ended_at)
        .join(User, User.id == Room.host_id)
        .where(Room.id.in_(room_ids))
    ).tuples()
    views = {row[0]: ReplayView(*row) for row in rows}
    return [views[room_id] for room_id in room_ids]


def home_feed(
    session: Session,
    engine: Recommendations | None,
    user: User | None,
    *,
    translate: Callable[[str], str],
) -> dict[str, Any]:
    """What ``home.html`` shows: live and upcoming rooms (recommended order), each
    recommended room's reason, products picked for the viewer, and the latest replays."""
    live_rooms = live.list_rooms(session, status=RoomStatus.LIVE)
    upcoming = live.list_rooms(session, status=RoomStatus.SCHEDULED)
    replays = replay_views(session, limit=HOME_REPLAYS)
    if engine is None:
        return {
            "live_rooms": live_rooms,
            "upcoming_rooms": upcoming,
            "replays": replays,
            "room_reasons": {},
            "picks": [],
            "personalised": False,
        }
    rooms = recommend_live_rooms(session, engine=engine, viewer=user, limit=HOME_ROOMS)
    order = {pick.room_id: index for index, pick in enumerate(rooms.items)}
    products = recommend_products(
        session, engine=engine, viewer=user, context="home", limit=HOME_PRODUCTS
    )
    return {
        "live_rooms": _ordered(live_rooms, order),
        "upcoming_rooms": _ordered(upcoming, order),
        "replays": replays,
        "room_reasons": {
            pick.room_id: reason_text(pick.reason_kind, pick.reason_subject, translate)
            for pick in rooms.items
        },
        "picks": [_pick(item, translate) for item in products.items],
        "personalised": products.personalised,
    }


def _pick(item: RecommendedProduct, translate: Callable[[str], str]) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "title": item.title,
        "category": item.category,
        "reason": reason_text(item.reason_kind, item.reason_subject, translate),
    }
