"""Who may do what with a room's video: live's rules, applied to media's actions.

- A room's stream key, its stream health and its "go live" are for whoever runs
  the room (its host, or an admin): ``live.access.require_room_runner``.
- Watching the room, its replay and its highlights is for everyone, like the room.
- The media server's callbacks are machine to machine: no user, a shared secret
  in their URL (``naming.is_callback_secret``), checked by :func:`require_media_server`.
"""

from __future__ import annotations

from liveshop.accounts.models import User
from liveshop.core.errors import PermissionDenied
from liveshop.live.access import can_run_room, require_room_runner
from liveshop.live.models import Room
from liveshop.media.naming import is_callback_secret


def can_manage_stream(user: User, *, room: Room) -> bool:
    return can_run_room(user, room=room)


def require_stream_manager(user: User, *, room: Room) -> None:
    require_room_runner(user, room=room)


def require_media_server(given_secret: str, *, secret_key: str) -> None:
    if not is_callback_secret(given_secret, secret_key=secret_key):
        raise PermissionDenied("not the media server", code="not_media_server")
