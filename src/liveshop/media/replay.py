"""A room's shoppable replay: the recording, and everything the room had on a
timeline of offsets into it; highlights cut per pinned product.

The recording is the room's remuxed MP4s joined in order (one file when the host
published once). An item's offset ``t`` is its moment's distance from the start of
the recording it falls in, plus the length of the recordings before; an item
between two recordings (the host's connection dropped) falls at the start of the
next, and items before the first or after the last are clamped to the ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from liveshop.core.clock import as_utc
from liveshop.core.errors import Conflict, NotFound
from liveshop.live import service as live_service
from liveshop.live.history import host_moments, like_moments, question_moments
from liveshop.media.ffmpeg import cut_clip, join_mp4
from liveshop.media.recordings import pending_recordings, ready_recordings
from liveshop.media.server_config import MediaPaths
from liveshop.media.timeline_sources import timeline_sources
from liveshop.orders.room_history import room_draw_moments, room_order_moments
from liveshop.promotions.coupons import room_drops
from liveshop.promotions.flash_sales import list_room_sales

COMMENT_PAGE = 500
MIN_CLIP_SECONDS = 1.0


@dataclass(frozen=True)
class Segment:
    started_at: datetime
    offset_s: float
    duration_s: float


@dataclass(frozen=True)
class ReplayVideo:
    file_name: str  # in the media server's ``vod`` directory
    duration_s: float
    segments: tuple[Segment, ...]

    def offset_of(self, moment: datetime) -> float:
        moment = as_utc(moment)
        for segment in self.segments:
            if moment <= segment.started_at:
                return segment.offset_s
            into = (moment - segment.started_at).total_seconds()
            if into <= segment.duration_s:
                return round(segment.offset_s + into, 3)
        return self.duration_s


def replay_video(session: Session, *, paths: MediaPaths, room_id: int) -> ReplayVideo:
    """The room's recording (joined once, then reused); Conflict while there is none."""
    live_service.get_room(session, room_id=room_id)
    recordings = ready_recordings(session, room_id=room_id)
    if not recordings:
        waiting = pending_recordings(session, room_id=room_id)
        message = "the recording is being prepared" if waiting else "this room has no recording"
        raise Conflict(message, code="replay_not_ready")
    segments: list[Segment] = []
    offset = 0.0
    for recording in recordings:
        duration = recording.duration_s or 0.0
        segments.append(Segment(as_utc(recording.started_at), offset, duration))
        offset += duration
    names = [recording.mp4_name for recording in recordings if recording.mp4_name]
    if len(names) == 1:
        file_name = names[0]
    else:
        file_name = f"room-{room_id}-replay-{recordings[-1].id}.mp4"
        if not (paths.vod / file_name).exists():
            join_mp4([paths.vod / name for name in names], paths.vod / file_name)
    return ReplayVideo(file_name=file_name, duration_s=round(offset, 3), segments=tuple(segments))


def _item(video: ReplayVideo, at: datetime, item_type: str, **fields: Any) -> dict[str, Any]:
    return {"t": video.offset_of(at), "type": item_type, "at": as_utc(at).isoformat(), **fields}


def _chat(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after_id = 0
    while True:
        page = live_service.list_comments(
            session, room_id=room_id, after_id=after_id, limit=COMMENT_PAGE
        )
        for line in page:
            item_type = "announcement" if line.kind == "announcement" else "comment"
            at = datetime.fromtimestamp(line.ts, tz=UTC)
            items.append(
                _item(video, at, item_type, user=line.user, text=line.text, kind=line.kind)
            )
        if len(page) < COMMENT_PAGE:
            return items
        after_id = int(page[-1].id)


def _host(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for moment in host_moments(session, room_id=room_id):
        card = moment.details.get("card") or {}
        if moment.action == "pin" and card:
            items.append(
                _item(
                    video,
                    moment.at,
                    "pin",
                    product_id=card.get("product_id"),
                    title=card.get("title"),
                    price=card.get("price"),
                    currency=card.get("currency"),
                    image_url=card.get("image_url"),
                )
            )
        elif moment.action in {"unpin", "start", "end"}:
            items.append(_item(video, moment.at, moment.action))
    return items


def _commerce(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    items = [
        _item(
            video,
            sale.starts_at,
            "flash_sale",
            sale_id=sale.id,
            sku_id=sale.sku_id,
            price=sale.price,
            quantity=sale.quantity,
            ends_t=video.offset_of(sale.ends_at),
        )
        for sale in list_room_sales(session, room_id=room_id)
    ]
    items += [
        _item(video, draw.at, "draw", draw_id=draw.draw_id, title=draw.title, event=draw.event)
        for draw in room_draw_moments(session, room_id=room_id)
    ]
    items += [
        _item(
            video,
            order.at,
            "order",
            product_id=order.product_id,
            title=order.title,
            orders=order.orders,
            quantity=order.quantity,
        )
        for order in room_order_moments(session, room_id=room_id)
    ]
    return items


def _coupon_drops(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    return [
        _item(
            video,
            drop.starts_at,
            "coupon_drop",
            coupon_id=drop.id,
            name=drop.name,
            kind=str(drop.kind),
            amount=drop.amount,
            percent=drop.percent,
            threshold=drop.threshold,
            quantity=drop.total_quantity,
            ends_t=video.offset_of(drop.ends_at),
        )
        for drop in reversed(room_drops(session, room_id=room_id))
    ]


def _audience(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    items = [
        _item(
            video,
            question.at,
            "question" if question.event == "asked" else "answer",
            question_id=question.question_id,
            text=question.text,
            **({"upvotes": question.upvotes} if question.event == "asked" else {}),
        )
        for question in question_moments(session, room_id=room_id)
    ]
    items += [
        _item(video, like.at, "likes", count=like.count)
        for like in like_moments(session, room_id=room_id)
    ]
    return items


def _registered(session: Session, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    """Gifts, red packets and auctions, from the sources wiring registered."""
    items: list[dict[str, Any]] = []
    for source in timeline_sources().values():
        for moment in source(session, room_id):
            fields = {key: value for key, value in moment.items() if key not in {"at", "type"}}
            items.append(_item(video, moment["at"], str(moment["type"]), **fields))
    return items


def replay_timeline(session: Session, *, video: ReplayVideo, room_id: int) -> list[dict[str, Any]]:
    """Everything the room had, by offset (ties keep each source's order)."""
    items = _chat(session, video, room_id) + _host(session, video, room_id)
    items += _commerce(session, video, room_id) + _coupon_drops(session, video, room_id)
    items += _audience(session, video, room_id)
    items += _registered(session, video, room_id)
    return sorted(items, key=lambda item: (item["t"], item["at"]))


@dataclass(frozen=True)
class Highlight:
    product_id: int
    title: str
    start_s: float
    end_s: float
    file_name: str

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)


def highlight_spans(
    video: ReplayVideo, timeline: list[dict[str, Any]]
) -> list[tuple[int, str, float, float]]:
    """(product, title, start, end) per pinned product: its longest time pinned, from
    the pin to the next unpin, pin or the end of the recording."""
    spans: dict[int, tuple[int, str, float, float]] = {}
    current: dict[str, Any] | None = None
    for item in [*timeline, {"t": video.duration_s, "type": "unpin"}]:
        if item["type"] not in {"pin", "unpin", "end"}:
            continue
        if current is not None and current.get("product_id") is not None:
            product_id = int(current["product_id"])
            span = (product_id, str(current.get("title") or ""), current["t"], item["t"])
            best = spans.get(product_id)
            if span[3] - span[2] >= MIN_CLIP_SECONDS and (
                best is None or span[3] - span[2] > best[3] - best[2]
            ):
                spans[product_id] = span
        current = item if item["type"] == "pin" else None
    return sorted(spans.values(), key=lambda span: span[2])


def highlights(
    session: Session, *, paths: MediaPaths, room_id: int
) -> tuple[ReplayVideo, list[Highlight]]:
    """A clip per pinned product, cut from the replay (streams copied, so a clip starts
    at the keyframe at or before its pin: one a second in LiveShop's encoder settings)."""
    video = replay_video(session, paths=paths, room_id=room_id)
    timeline = replay_timeline(session, video=video, room_id=room_id)
    found: list[Highlight] = []
    for product_id, title, start, end in highlight_spans(video, timeline):
        stem = Path(video.file_name).stem
        file_name = f"{stem}-clip-{product_id}-{int(start * 1000)}-{int(end * 1000)}.mp4"
        if not (paths.vod / file_name).exists():
            cut_clip(
                paths.vod / video.file_name,
                paths.vod / file_name,
                start_s=start,
                duration_s=end - start,
            )
        found.append(Highlight(product_id, title, start, end, file_name))
    return video, found


def highlight_of(
    session: Session, *, paths: MediaPaths, room_id: int, product_id: int
) -> tuple[ReplayVideo, Highlight]:
    video, found = highlights(session, paths=paths, room_id=room_id)
    for highlight in found:
        if highlight.product_id == product_id:
            return video, highlight
    raise NotFound("this product has no highlight in this room", code="highlight_not_found")
