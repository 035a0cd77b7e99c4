"""The home feed and shelves as recommendations order them, with reasons in Chinese
(the pages' language; the API gives English sentences and a stable kind)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.live import service as live
from liveshop.live.models import RoomStatus
from liveshop.live.schemas import RoomOut
from liveshop.recommend.schemas import RecommendedProduct
from liveshop.recommend.service import (
    Recommendations,
    recommend_live_rooms,
    recommend_products,
)

HOME_PRODUCTS = 8
HOME_ROOMS = 50

REASONS_ZH = {
    "because_you_watched": "因为你看过「{subject}」",
    "because_you_just_looked_at": "你刚看过「{subject}」",
    "similar_to": "和「{subject}」相似",
    "on_the_shelf": "本直播间在售",
    "popular_in": "「{subject}」热卖",
    "popular": "正在热卖",
    "buy_again": "再次购买",
    "picked_for_you": "为你推荐",
    "followed_host": "你关注的主播 {subject}",
    "reminder_set": "你预约了这场直播",
    "followed_shop": "你关注的「{subject}」",
    "watched_host": "你看过 {subject} 的直播",
    "just_watched_host": "你刚看过 {subject}",
    "new_host": "新主播",
    "popular_live": "热门直播",
    "live_now": "直播中",
    "starting_soon": "即将开播",
}


def reason_zh(kind: str, subject: str) -> str:
    return REASONS_ZH.get(kind, "为你推荐").format(subject=subject)


def _ordered(rooms: list[RoomOut], order: dict[int, int]) -> list[RoomOut]:
    """Recommended rooms first in their order; the rest keep the listing's order."""
    return sorted(rooms, key=lambda room: order.get(room.id, len(order)))


def home_feed(
    session: Session, engine: Recommendations | None, user: User | None
) -> dict[str, Any]:
    """What ``home.html`` shows: live and upcoming rooms (recommended order), each
    recommended room's reason, and products picked for the viewer."""
    live_rooms = live.list_rooms(session, status=RoomStatus.LIVE)
    upcoming = live.list_rooms(session, status=RoomStatus.SCHEDULED)
    if engine is None:
        return {
            "live_rooms": live_rooms,
            "upcoming_rooms": upcoming,
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
        "room_reasons": {
            pick.room_id: reason_zh(pick.reason_kind, pick.reason_subject) for pick in rooms.items
        },
        "picks": [_pick(item) for item in products.items],
        "personalised": products.personalised,
    }


def _pick(item: RecommendedProduct) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "title": item.title,
        "category": item.category,
        "reason": reason_zh(item.reason_kind, item.reason_subject),
    }
