"""Follows, reminders and the notification centre over HTTP, and the live stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, RowId
from liveshop.core.languages import ReaderWords, Words
from liveshop.notifications import centre, follows
from liveshop.notifications.schemas import (
    FollowsOut,
    MarkedRead,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
)
from liveshop.notifications.streams import NotificationStreams

router = APIRouter(tags=["notifications"])

HEARTBEAT_SECONDS = 20.0  # proxies drop idle connections at 60


@router.post("/api/hosts/{host_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def follow_host(host_id: RowId, user: CurrentUser, session: DbSession) -> None:
    follows.follow_host(session, user=user, host_id=host_id)


@router.delete("/api/hosts/{host_id}/follow", status_code=status.HTTP_204_NO_CONTENT)
def unfollow_host(host_id: RowId, user: CurrentUser, session: DbSession) -> None:
    follows.unfollow_host(session, user=user, host_id=host_id)


@router.post("/api/rooms/{room_id}/reminder", status_code=status.HTTP_204_NO_CONTENT)
def subscribe_to_room(room_id: RowId, user: CurrentUser, session: DbSession) -> None:
    follows.subscribe_to_room(session, user=user, room_id=room_id)


@router.delete("/api/rooms/{room_id}/reminder", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe_from_room(room_id: RowId, user: CurrentUser, session: DbSession) -> None:
    follows.unsubscribe_from_room(session, user=user, room_id=room_id)


@router.get("/api/me/follows")
def my_follows(user: CurrentUser, session: DbSession) -> FollowsOut:
    return follows.my_follows(session, user=user)


@router.get("/api/notifications")
def list_notifications(
    user: CurrentUser,
    session: DbSession,
    words: ReaderWords,
    unread_only: bool = False,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> NotificationPage:
    """Newest first, worded in the request's language (as its page would choose it)."""
    return centre.list_notifications(
        session, user=user, words=words, unread_only=unread_only, before_id=before_id, limit=limit
    )


@router.post("/api/notifications/read-all")
def mark_all_read(user: CurrentUser, session: DbSession) -> MarkedRead:
    return centre.mark_all_read(session, user=user)


@router.post("/api/notifications/{notification_id}/read")
def mark_read(notification_id: RowId, user: CurrentUser, session: DbSession) -> MarkedRead:
    return centre.mark_read(session, user=user, notification_id=notification_id)


@router.get("/api/notifications/preferences")
def preferences(user: CurrentUser, session: DbSession) -> PreferencesOut:
    return centre.preferences(session, user=user)


@router.put("/api/notifications/preferences")
def set_preferences(body: PreferencesIn, user: CurrentUser, session: DbSession) -> PreferencesOut:
    return centre.set_preferences(session, user=user, body=body)


@router.get(
    "/api/notifications/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def notification_stream(
    request: Request, user: CurrentUser, words: ReaderWords
) -> StreamingResponse:
    """Server-Sent Events: each new notice as ``event: notification``, as it is written,
    worded in the request's language."""
    streams: NotificationStreams = request.app.state.notification_streams
    queue = streams.open(user.id)
    return StreamingResponse(
        _events(streams, user.id, queue, words),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    streams: NotificationStreams,
    user_id: int,
    queue: asyncio.Queue[dict[str, Any] | None],
    words: Words,
) -> AsyncIterator[bytes]:
    try:
        yield b"retry: 5000\n: connected\n\n"
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": ping\n\n"
                continue
            if item is None:
                return
            data = json.dumps(centre.posted_out(item, words), ensure_ascii=False)
            yield f"id: {item['id']}\nevent: notification\ndata: {data}\n\n".encode()
    finally:
        streams.close(user_id, queue)
