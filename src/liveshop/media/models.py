from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from liveshop.core.clock import utcnow
from liveshop.core.db import Base, UtcDateTime


class StreamStatus(enum.StrEnum):
    OFFLINE = "offline"
    LIVE = "live"


class RoomStream(Base):
    """A room's ingest: the hash of its current stream key and whether video arrives.

    One row per room, made by the first key. ``publisher`` is the media server's
    client id of the connection now publishing, so the end of an older, replaced
    connection does not mark the room offline.
    """

    __tablename__ = "media_streams"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    key_hash: Mapped[str] = mapped_column(String(64))
    key_issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[StreamStatus] = mapped_column(
        Enum(StreamStatus, native_enum=False, length=10), default=StreamStatus.OFFLINE
    )
    publisher: Mapped[str | None] = mapped_column(String(40), nullable=True)
    live_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # the HLS playlist while live (the media server's public address, from the settings
    # of the server that authorised the publisher)
    playback_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # "go live": the host asked that the room start when the stream arrives
    start_on_publish: Mapped[bool] = mapped_column(Boolean, default=False)


class RecordingStatus(enum.StrEnum):
    RECORDED = "recorded"  # the media server closed the FLV file
    READY = "ready"  # remuxed to MP4
    FAILED = "failed"


class Recording(Base):
    """One recorded FLV file of a room's stream (one per publishing connection)."""

    __tablename__ = "media_recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    flv_name: Mapped[str] = mapped_column(String(200), unique=True)
    mp4_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[RecordingStatus] = mapped_column(
        Enum(RecordingStatus, native_enum=False, length=10), default=RecordingStatus.RECORDED
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
