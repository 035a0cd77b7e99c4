"""The room's real-time edges: WebSocket, and Server-Sent Events for networks that block it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, WebSocket
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketDisconnect

from liveshop.accounts.dependencies import SESSION_COOKIE, CurrentUser
from liveshop.accounts.models import User
from liveshop.accounts.service import user_for_token
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import InvalidInput, LiveShopError, NotAuthenticated, PermissionDenied
from liveshop.core.security import is_allowed_origin
from liveshop.core.settings import Settings
from liveshop.live import access, service
from liveshop.live.chat import TokenBucket
from liveshop.live.connection import PolicyViolation, ViewerSession
from liveshop.live.dependencies import HubDep, RecorderDep
from liveshop.live.hub import LiveHub, error_frame
from liveshop.live.room_channel import RoomChannel
from liveshop.live.schemas import CommentOut, LikesIn, TextIn
from liveshop.live.subscribers import (
    StreamSubscriber,
    Subscriber,
    WebSocketSubscriber,
    deliver_one,
)

router = APIRouter(tags=["live"])

MAX_MESSAGE_BYTES = 4096
CLOSE_POLICY = 1008
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403


def _authenticate(
    database_url: str, token: str | None, room_id: int, *, uncounted: bool = False
) -> tuple[User | None, bool]:
    """The caller (None if anonymous) and whether a kick keeps them out of the room;
    ``uncounted``: they ask to watch without counting as a viewer."""
    with unit_of_work(database_url, writes=False) as session:
        service.get_room(session, room_id=room_id)
        user = user_for_token(session, token=token) if token else None
        if token and user is None:
            raise NotAuthenticated("the token is invalid, expired or revoked", code="bad_token")
        if uncounted:
            access.require_uncounted_watcher(user)
        restrictions = (
            service.active_restrictions(session, room_id=room_id, user_id=user.id) if user else {}
        )
    return user, "kick" in restrictions


def _connection_token(connection: HTTPConnection, token: str | None) -> str | None:
    return token or connection.cookies.get(SESSION_COOKIE)


def _viewer_session(
    hub: LiveHub,
    recorder: Any,
    channel: RoomChannel,
    user: User | None,
    settings: Settings,
    *,
    counted: bool,
) -> ViewerSession:
    return ViewerSession(
        hub=hub,
        recorder=recorder,
        channel=channel,
        user=user,
        counted=counted,
        comment_max_length=settings.comment_max_length,
        comment_bucket=TokenBucket(
            rate=settings.comment_rate_per_second, burst=settings.comment_burst
        ),
    )


def _catch_up(
    channel: RoomChannel,
    viewer: ViewerSession,
    subscriber: Subscriber,
    stream: str | None,
    last_seq: int | None,
) -> None:
    """Missed frames for a client that resumes, else a fresh snapshot of the room."""
    missed = channel.frames_since(stream, last_seq)
    if missed is None:
        deliver_one(subscriber, channel.snapshot(you=viewer.you()))
    else:
        for frame in missed:
            deliver_one(subscriber, frame)


@router.websocket("/ws/rooms/{room_id}")
async def room_socket(
    websocket: WebSocket,
    room_id: RowId,
    hub: HubDep,
    recorder: RecorderDep,
    settings: SettingsDep,
    token: str | None = None,
    last_seq: int | None = None,
    stream: str | None = None,
    uncounted: bool = False,
) -> None:
    # Before the token or cookie is looked at: a page of another site would come
    # with the viewer's session cookie (cross-site WebSocket hijacking).
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not is_allowed_origin(origin, host=host, allowed=settings.websocket_allowed_origins()):
        await websocket.close(code=CLOSE_POLICY, reason="this page's origin may not open the room")
        return
    try:
        user, kicked = await asyncio.to_thread(
            _authenticate,
            hub.database_url,
            _connection_token(websocket, token),
            room_id,
            uncounted=uncounted,
        )
    except LiveShopError as error:
        await websocket.close(
            code=CLOSE_NOT_FOUND if error.status_code == 404 else CLOSE_POLICY, reason=error.message
        )
        return
    if kicked:
        await websocket.close(code=CLOSE_FORBIDDEN, reason="you were kicked from this room")
        return
    await websocket.accept()
    channel = await hub.open_channel(room_id)
    viewer = _viewer_session(hub, recorder, channel, user, settings, counted=not uncounted)
    subscriber = WebSocketSubscriber(websocket, user.id if user else None, counted=not uncounted)
    _catch_up(channel, viewer, subscriber, stream, last_seq)
    hub.join(channel, subscriber)
    viewer.join("websocket")
    try:
        await _serve_messages(websocket, viewer, subscriber)
    except PolicyViolation as violation:
        deliver_one(subscriber, error_frame("policy_violation", f"closed: {violation}"))
        subscriber.close(CLOSE_POLICY, "too many refused messages")
    finally:
        hub.leave(channel, subscriber)
        viewer.leave()
        # The server drops the connection once this handler returns: let a close
        # started above (or by a kick) reach the client with its code first.
        with contextlib.suppress(Exception):
            await subscriber.wait_closed()


async def _serve_messages(
    websocket: WebSocket, viewer: ViewerSession, subscriber: WebSocketSubscriber
) -> None:
    while not subscriber.closed:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") or message.get("bytes") or ""
        reply = await _handle_raw(viewer, raw)
        if reply is not None:
            deliver_one(subscriber, reply)


async def _handle_raw(viewer: ViewerSession, raw: str | bytes) -> str | None:
    """One client message to at most one reply frame; bad input is an error frame."""
    try:
        if len(raw) > MAX_MESSAGE_BYTES:
            raise InvalidInput("message too large", code="message_too_large")
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise InvalidInput("messages are JSON objects", code="malformed") from error
        if not isinstance(message, dict):
            raise InvalidInput("messages are JSON objects", code="malformed")
        reply = await viewer.handle(message)
    except LiveShopError as error:
        viewer.note_violation(error.code)
        return error_frame(error)
    return orjson.dumps(reply).decode() if reply is not None else None


@router.get(
    "/api/rooms/{room_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def room_stream(
    room_id: RowId,
    connection: HTTPConnection,
    hub: HubDep,
    recorder: RecorderDep,
    settings: SettingsDep,
    last_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    stream: Annotated[str | None, Query(max_length=100)] = None,
    last_event_id: Annotated[str | None, Header(max_length=200)] = None,
    uncounted: bool = False,
) -> StreamingResponse:
    """Server-Sent Events: the same frames as the WebSocket, for networks that block it.
    ``uncounted``: a console or dashboard of the platform's people, not a viewer."""
    user, kicked = await asyncio.to_thread(
        _authenticate,
        hub.database_url,
        _connection_token(connection, None),
        room_id,
        uncounted=uncounted,
    )
    if kicked:
        raise PermissionDenied("you were kicked from this room", code="kicked")
    if last_event_id and ":" in last_event_id:
        stream, _, seq_text = last_event_id.rpartition(":")
        last_seq = int(seq_text) if seq_text.isdigit() else None
    channel = await hub.open_channel(room_id)
    viewer = _viewer_session(hub, recorder, channel, user, settings, counted=not uncounted)
    subscriber = StreamSubscriber(user.id if user else None, counted=not uncounted)
    _catch_up(channel, viewer, subscriber, stream, last_seq)
    hub.join(channel, subscriber)
    viewer.join("sse")
    return StreamingResponse(
        _event_stream(hub, channel, viewer, subscriber),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _event_stream(
    hub: LiveHub, channel: RoomChannel, viewer: ViewerSession, subscriber: StreamSubscriber
) -> AsyncIterator[bytes]:
    try:
        while True:
            frame = await subscriber.queue.get()
            if frame is None:
                return
            seq = orjson.loads(frame).get("seq")
            event_id = f"id: {channel.stream}:{seq}\n" if isinstance(seq, int) else ""
            yield f"{event_id}data: {frame}\n\n".encode()
    finally:
        with contextlib.suppress(Exception):
            hub.leave(channel, subscriber)
            viewer.leave()


async def _http_viewer(
    hub: LiveHub,
    recorder: Any,
    settings: Settings,
    room_id: int,
    user: User,
    session: Session,
) -> ViewerSession:
    """A viewer posting over HTTP keeps one session (and its rate limits) per room."""
    # The request's transaction only read the caller's token. End it before the
    # channel is loaded on another connection: on SQLite every transaction holds
    # the write lock from BEGIN, so keeping it open would block that load.
    session.commit()
    sessions: dict[tuple[int, int], ViewerSession] = hub.http_viewers
    key = (room_id, user.id)
    if key not in sessions:
        channel = await hub.open_channel(room_id)
        sessions[key] = _viewer_session(hub, recorder, channel, user, settings, counted=True)
    sessions[key].user = user
    return sessions[key]


@router.post("/api/rooms/{room_id}/chat", status_code=201)
async def post_comment(
    room_id: RowId,
    body: TextIn,
    user: CurrentUser,
    session: DbSession,
    hub: HubDep,
    recorder: RecorderDep,
    settings: SettingsDep,
) -> CommentOut:
    """Comment over plain HTTP (the SSE fallback's way to talk)."""
    viewer = await _http_viewer(hub, recorder, settings, room_id, user, session)
    return CommentOut.model_validate(viewer.comment(body.text))


@router.post("/api/rooms/{room_id}/likes", status_code=202)
async def post_likes(
    room_id: RowId,
    body: LikesIn,
    user: CurrentUser,
    session: DbSession,
    hub: HubDep,
    recorder: RecorderDep,
    settings: SettingsDep,
) -> dict[str, int]:
    viewer = await _http_viewer(hub, recorder, settings, room_id, user, session)
    return {"accepted": viewer.like(body.count)}
