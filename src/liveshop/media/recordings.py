"""The media server's recordings: kept when it closes them, remuxed to MP4."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.core.db import unit_of_work
from liveshop.governance.queries import limited_room_ids
from liveshop.live.models import Room, RoomStatus, ShelfItem
from liveshop.media.ffmpeg import FfmpegFailed, duration_seconds, remux_to_mp4
from liveshop.media.models import Recording, RecordingStatus
from liveshop.media.naming import recording_facts
from liveshop.media.server_config import MediaPaths

logger = logging.getLogger(__name__)


def add_recording(session: Session, *, path: Path, recordings_dir: Path) -> Recording | None:
    """A closed FLV file the media server reports; None for a file that is not one of
    ours (elsewhere, or not named ``room-<id>-<start>.flv``). Reported twice, kept once."""
    if path.parent.resolve() != recordings_dir.resolve():
        return None
    facts = recording_facts(path.name)
    if facts is None:
        return None
    room_id, started_at = facts
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(Recording)
        .values(
            room_id=room_id,
            flv_name=path.name,
            started_at=started_at,
            status=RecordingStatus.RECORDED,
        )
        .on_conflict_do_nothing()
    )
    return session.scalars(select(Recording).where(Recording.flv_name == path.name)).one()


@dataclass(frozen=True)
class Remuxed:
    mp4_name: str
    duration_s: float


def remux_file(paths: MediaPaths, *, flv_name: str) -> Remuxed | None:
    """FLV to MP4 in the replay directory (``vod``); None if ffmpeg could not."""
    target = paths.vod / (Path(flv_name).stem + ".mp4")
    try:
        remux_to_mp4(paths.recordings / flv_name, target)
        return Remuxed(mp4_name=target.name, duration_s=duration_seconds(target))
    except (FfmpegFailed, OSError, ValueError, KeyError) as error:
        logger.warning("remuxing %s failed: %s", flv_name, error)
        return None


def remux_in_own_unit(database_url: str, *, paths: MediaPaths, recording_id: int) -> None:
    """After the callback's answer: ffmpeg runs outside any transaction, then one short
    unit of work records the result (only over a recording still waiting for it)."""
    with unit_of_work(database_url, writes=False) as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.status is not RecordingStatus.RECORDED:
            return
        flv_name = recording.flv_name
    remuxed = remux_file(paths, flv_name=flv_name)
    values: dict[str, object] = (
        {"status": RecordingStatus.FAILED}
        if remuxed is None
        else {
            "status": RecordingStatus.READY,
            "mp4_name": remuxed.mp4_name,
            "duration_s": remuxed.duration_s,
        }
    )
    with unit_of_work(database_url) as session:
        session.execute(
            update(Recording)
            .where(Recording.id == recording_id, Recording.status == RecordingStatus.RECORDED)
            .values(**values)
        )


def ready_recordings(session: Session, *, room_id: int) -> list[Recording]:
    return list(
        session.scalars(
            select(Recording)
            .where(Recording.room_id == room_id, Recording.status == RecordingStatus.READY)
            .order_by(Recording.started_at, Recording.id)
        )
    )


def pending_recordings(session: Session, *, room_id: int) -> int:
    return len(
        session.scalars(
            select(Recording.id).where(
                Recording.room_id == room_id, Recording.status == RecordingStatus.RECORDED
            )
        ).all()
    )


class ReplayState(enum.StrEnum):
    READY = "ready"  # at least one recording remuxed: the replay plays
    PREPARING = "preparing"  # recorded, still being remuxed


def replay_state(session: Session, *, room_id: int) -> ReplayState | None:
    """Whether the room's show can be watched again; None when nothing was recorded
    (no video was ever published, or every remux failed)."""
    statuses = set(
        session.scalars(select(Recording.status).where(Recording.room_id == room_id).distinct())
    )
    if RecordingStatus.READY in statuses:
        return ReplayState.READY
    if RecordingStatus.RECORDED in statuses:
        return ReplayState.PREPARING
    return None


def latest_replays(session: Session, *, limit: int, product_id: int | None = None) -> list[int]:
    """Ended rooms with a ready replay, the most recently recorded first; with
    ``product_id``, only the shows that had it in their bag. A room whose exposure
    moderation limited stays out, as it does from the room listings."""
    query = (
        select(Recording.room_id)
        .join(Room, Room.id == Recording.room_id)
        .where(Recording.status == RecordingStatus.READY, Room.status == RoomStatus.ENDED)
        .group_by(Recording.room_id)
        .order_by(func.max(Recording.started_at).desc(), Recording.room_id.desc())
        .limit(limit)
    )
    if product_id is not None:
        shelves = select(ShelfItem.room_id).where(ShelfItem.product_id == product_id)
        query = query.where(Recording.room_id.in_(shelves))
    hidden = limited_room_ids(session)
    if hidden:
        query = query.where(Recording.room_id.not_in(hidden))
    return list(session.scalars(query))
