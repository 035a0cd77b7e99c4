"""Stream keys and the stream's state: issuing and rotating a room's key, and
what the media server's callbacks change (a publisher arrives, leaves).

A key is shown once and stored hashed; issuing a new one replaces it, so a
rotated key is refused from then on. The callbacks come from the media server
(machine to machine): ``api.py`` checks their shared secret, and these functions
decide on the key alone.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import PermissionDenied
from liveshop.core.rooms import RoomNotice
from liveshop.live import service as live_service
from liveshop.live.models import Room, RoomStatus
from liveshop.live.streams import StreamView
from liveshop.media.models import RoomStream, StreamStatus
from liveshop.media.naming import hash_stream_key, room_of_stream, stream_name

STREAM_KEY_BYTES = 24  # 192 bits, url-safe: fits OBS's key field and an RTMP URL
STREAM_TOPIC = "stream"  # the piece of room state viewers' frames carry (core.rooms)


@dataclass(frozen=True)
class IssuedKey:
    room_id: int
    stream_key: str  # what the host pastes beside the ingest URL


def _locked_stream(session: Session, *, room_id: int) -> RoomStream:
    """The room's stream row, made if absent, locked for this transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(RoomStream)
        .values(
            room_id=room_id,
            key_hash="",  # matches no key: sha256 hex is 64 characters
            key_issued_at=utcnow(),
            status=StreamStatus.OFFLINE,
            start_on_publish=False,
        )
        .on_conflict_do_nothing()
    )
    return session.get_one(RoomStream, room_id, with_for_update=True, populate_existing=True)


def issue_stream_key(session: Session, *, actor: User, room_id: int) -> IssuedKey:
    """A new key for the room (its host, or an admin); the previous key stops working."""
    room = live_service.controlled_room(session, actor=actor, room_id=room_id)
    if room.status is RoomStatus.ENDED:
        raise PermissionDenied("the room has ended: it takes no more video", code="room_ended")
    secret = secrets.token_urlsafe(STREAM_KEY_BYTES)
    stream = _locked_stream(session, room_id=room.id)
    stream.key_hash = hash_stream_key(secret)
    stream.key_issued_at = utcnow()
    session.flush()
    return IssuedKey(room_id=room.id, stream_key=f"{stream_name(room.id)}?key={secret}")


def arm_go_live(session: Session, *, actor: User, room_id: int) -> Room:
    """ "Go live": start the room now if its video arrives, else when it does."""
    room = live_service.controlled_room(session, actor=actor, room_id=room_id)
    stream = _locked_stream(session, room_id=room.id)
    if room.status is RoomStatus.SCHEDULED and stream.status is StreamStatus.LIVE:
        return live_service.start_room(session, actor=actor, room_id=room.id)
    if room.status is RoomStatus.SCHEDULED:
        stream.start_on_publish = True
        session.flush()
    return room


def _refuse(reason: str) -> PermissionDenied:
    return PermissionDenied(f"publishing refused: {reason}", code="publish_refused")


def room_for_publish(name: str) -> int:
    """The room a stream name names; refused if it names none."""
    room_id = room_of_stream(name)
    if room_id is None:
        raise _refuse("unknown stream")
    return room_id


def starts_on_publish(session: Session, *, room_id: int) -> bool:
    stream = session.get(RoomStream, room_id)
    return stream is not None and stream.start_on_publish


def authorise_publish(
    session: Session, *, name: str, key: str, publisher: str, playback_url: str
) -> int:
    """The media server asks whether ``name`` may publish with ``key``; answers the
    room id, or raises PermissionDenied (a wrong, rotated or another room's key, or an
    ended room). Marks the stream live, and starts a room whose host chose "go live"."""
    room_id = room_of_stream(name)
    if room_id is None or not key:
        raise _refuse("unknown stream")
    room = session.get(Room, room_id)
    stream = session.get(RoomStream, room_id, with_for_update=True)
    if room is None or stream is None:
        raise _refuse("unknown stream")
    if not hmac.compare_digest(hash_stream_key(key), stream.key_hash):
        raise _refuse("wrong stream key")
    if room.status is RoomStatus.ENDED:
        raise _refuse("the room has ended")
    stream.status = StreamStatus.LIVE
    stream.publisher = publisher[:40]
    stream.live_since = utcnow()
    stream.playback_url = playback_url
    if stream.start_on_publish and room.status is RoomStatus.SCHEDULED:
        stream.start_on_publish = False
        host = session.get_one(User, room.host_id)
        live_service.start_room(session, actor=host, room_id=room.id)
    session.flush()
    _tell_viewers(session, room_id=room.id, status=StreamStatus.LIVE)
    return room.id


def end_publish(session: Session, *, name: str, publisher: str) -> bool:
    """The publishing connection ``publisher`` ended: the stream is offline, unless a
    newer connection took its place. Answers whether the state changed."""
    room_id = room_of_stream(name)
    if room_id is None:
        return False
    stream = session.get(RoomStream, room_id, with_for_update=True)
    if stream is None or stream.status is StreamStatus.OFFLINE:
        return False
    if stream.publisher != publisher[:40]:
        return False
    stream.status = StreamStatus.OFFLINE
    stream.publisher = None
    stream.live_since = None
    stream.playback_url = None
    session.flush()
    _tell_viewers(session, room_id=room_id, status=StreamStatus.OFFLINE)
    return True


def _tell_viewers(session: Session, *, room_id: int, status: StreamStatus) -> None:
    """Viewers' pages hear of it in the next frame, and read the playlist from the room."""
    payload = {"status": status.value}
    publish_after_commit(session, RoomNotice(room_id=room_id, topic=STREAM_TOPIC, payload=payload))


def stream_view(session: Session, room_id: int) -> StreamView:
    """What the room's API shows of its video (``live.streams``' source)."""
    stream = session.get(RoomStream, room_id)
    if stream is None or stream.status is StreamStatus.OFFLINE:
        return StreamView(status=StreamStatus.OFFLINE.value, playback_url=None)
    return StreamView(status=stream.status.value, playback_url=stream.playback_url)


def current_stream_notices(session: Session, room_id: int) -> list[RoomNotice]:
    """For a channel opening mid-show: the stream's state (``core.rooms`` notice source)."""
    payload = {"status": stream_view(session, room_id).status}
    return [RoomNotice(room_id=room_id, topic=STREAM_TOPIC, payload=payload)]
