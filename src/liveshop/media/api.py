"""HTTP routes of live video: the host's key, health and "go live"; the media server's
callbacks (machine to machine, ``include_in_schema=False`` like payment webhooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.settings import Settings
from liveshop.live import service as live_service
from liveshop.media import access, recordings, replay, streams
from liveshop.media.addresses import ingest_url, playback_url, stat_url, vod_url
from liveshop.media.models import StreamStatus
from liveshop.media.naming import stream_name
from liveshop.media.schemas import (
    GoLiveOut,
    HighlightOut,
    ReplayOut,
    StreamHealthOut,
    StreamKeyOut,
)
from liveshop.media.server_config import APPLICATION, media_paths
from liveshop.media.stats import fetch_stream_health

router = APIRouter(prefix="/api/rooms", tags=["media"])
callbacks = APIRouter(prefix="/api/media", tags=["media"], include_in_schema=False)

CallbackSecret = Annotated[str, Query(alias="secret", max_length=200)]
FormText = Annotated[str, Form(max_length=500)]


@router.post("/{room_id}/stream-key")
def issue_stream_key(
    room_id: RowId, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> StreamKeyOut:
    """A new stream key for OBS or ffmpeg (the room's host); the previous key stops working."""
    issued = streams.issue_stream_key(session, actor=user, room_id=room_id)
    return StreamKeyOut(ingest_url=ingest_url(settings), stream_key=issued.stream_key)


@router.post("/{room_id}/go-live")
def go_live(room_id: RowId, user: CurrentUser, session: DbSession) -> GoLiveOut:
    """Start the room now if its video arrives, else as soon as it does."""
    room = streams.arm_go_live(session, actor=user, room_id=room_id)
    view = streams.stream_view(session, room.id)
    return GoLiveOut(
        room_status=room.status.value,
        stream_status=StreamStatus(view.status),
        starts_when_stream_arrives=streams.starts_on_publish(session, room_id=room.id),
    )


@router.get("/{room_id}/stream-health")
def stream_health(
    room_id: RowId, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> StreamHealthOut:
    """Bitrate, frame rate and size of the incoming video, from the media server."""
    room = live_service.get_room(session, room_id=room_id)
    access.require_stream_manager(user, room=room)
    view = streams.stream_view(session, room.id)
    if view.status != StreamStatus.LIVE:
        return StreamHealthOut(stream_status="offline")
    health = fetch_stream_health(
        stat_url(settings), application=APPLICATION, name=stream_name(room.id)
    )
    if health is None:
        return StreamHealthOut(stream_status="live")
    return StreamHealthOut(stream_status="live", **health.__dict__)


def _server(secret: str, settings: Settings) -> None:
    access.require_media_server(secret, secret_key=settings.resolved_secret_key())


@callbacks.post("/on-publish")
def on_publish(
    session: DbSession,
    settings: SettingsDep,
    secret: CallbackSecret = "",
    name: FormText = "",
    key: FormText = "",
    clientid: FormText = "",
) -> dict[str, int]:
    """nginx-rtmp's ``on_publish``: 2xx lets the publisher in, 403 refuses it."""
    _server(secret, settings)
    room_id = streams.room_for_publish(name)
    room_id = streams.authorise_publish(
        session,
        name=name,
        key=key,
        publisher=clientid,
        playback_url=playback_url(settings, room_id=room_id),
    )
    return {"room_id": room_id}


@callbacks.post("/on-publish-done")
def on_publish_done(
    session: DbSession,
    settings: SettingsDep,
    secret: CallbackSecret = "",
    name: FormText = "",
    clientid: FormText = "",
) -> dict[str, bool]:
    _server(secret, settings)
    return {"offline": streams.end_publish(session, name=name, publisher=clientid)}


@callbacks.post("/on-record-done")
def on_record_done(
    background: BackgroundTasks,
    session: DbSession,
    settings: SettingsDep,
    secret: CallbackSecret = "",
    path: FormText = "",
) -> dict[str, int | None]:
    """A recording was closed: kept, and remuxed to MP4 once this answer is sent."""
    _server(secret, settings)
    paths = media_paths(settings.ensure_home())
    recording = recordings.add_recording(session, path=Path(path), recordings_dir=paths.recordings)
    if recording is not None:
        background.add_task(
            recordings.remux_in_own_unit,
            settings.resolved_database_url(),
            paths=paths,
            recording_id=recording.id,
        )
    return {"recording_id": recording.id if recording is not None else None}


@router.get("/{room_id}/replay")
def get_replay(room_id: RowId, session: DbSession, settings: SettingsDep) -> ReplayOut:
    """The recorded show and everything the room had, by offset into the video."""
    paths = media_paths(settings.ensure_home())
    room = live_service.get_room(session, room_id=room_id)
    video = replay.replay_video(session, paths=paths, room_id=room.id)
    return ReplayOut(
        room_id=room.id,
        title=room.title,
        video_url=vod_url(settings, file_name=video.file_name),
        duration_s=video.duration_s,
        timeline=replay.replay_timeline(session, video=video, room_id=room.id),
    )


@router.get("/{room_id}/highlights")
def list_highlights(
    room_id: RowId, session: DbSession, settings: SettingsDep
) -> list[HighlightOut]:
    """A clip per pinned product, from its pin to its unpin, each with its page."""
    paths = media_paths(settings.ensure_home())
    room = live_service.get_room(session, room_id=room_id)
    _, found = replay.highlights(session, paths=paths, room_id=room.id)
    return [highlight_out(settings, room_id=room.id, highlight=item) for item in found]


def highlight_out(settings: Settings, *, room_id: int, highlight: replay.Highlight) -> HighlightOut:
    return HighlightOut(
        product_id=highlight.product_id,
        title=highlight.title,
        start_s=highlight.start_s,
        end_s=highlight.end_s,
        duration_s=highlight.duration_s,
        video_url=vod_url(settings, file_name=highlight.file_name),
        page_url=f"/rooms/{room_id}/highlights/{highlight.product_id}",
    )
