"""Who may do what in a live room: every access decision of the live domain.

``can_*`` answers with a bool; ``require_*`` raises PermissionDenied and returns
nothing. Loading the room (404 if there is none) is the caller's; these functions
judge a room already at hand.

- Hosts (and admins) open rooms.
- A room's host runs it (start, end, pin, shelve, announce, answer and pin
  questions); an admin may step in for any host.
- Moderators mute and kick in any room, besides its host and admins: that is
  their job, and the only room control they have.
- Taking part (asking and up-voting questions; over the real-time edge, chat and
  likes) is for everyone but a regulator, who reads and writes nothing in a room.
- Anyone may watch a room and read its chat, questions and shelf.
- Watching without being counted (a host's console, a dashboard, a moderator's
  or regulator's look) is for the platform's people, never for a viewer: the room's
  audience figures are the audience's.
"""

from __future__ import annotations

from liveshop.accounts.models import Role, User
from liveshop.core.errors import PermissionDenied
from liveshop.governance.access import can_moderate, is_admin, is_read_only
from liveshop.live.models import Room

ROOM_OPENER_ROLES = frozenset({Role.HOST, Role.ADMIN})


def can_open_rooms(user: User) -> bool:
    return user.role in ROOM_OPENER_ROLES


def require_room_opener(user: User) -> None:
    if not can_open_rooms(user):
        raise PermissionDenied("only hosts can create rooms", code="wrong_role")


def can_run_room(user: User, *, room: Room) -> bool:
    return user.id == room.host_id or is_admin(user)


def require_room_runner(user: User, *, room: Room) -> None:
    if not can_run_room(user, room=room):
        raise PermissionDenied("only the room's host can do this", code="not_room_host")


def can_restrict_viewers(user: User, *, room: Room) -> bool:
    """Mute and kick: the room's host, admins, and moderators in any room."""
    return can_run_room(user, room=room) or can_moderate(user)


def require_viewer_restricter(user: User, *, room: Room) -> None:
    if not can_restrict_viewers(user, room=room):
        raise PermissionDenied("only the room's host can do this", code="not_room_host")


def can_take_part(user: User) -> bool:
    """Ask, up-vote, chat, like: anyone who may write."""
    return not is_read_only(user)


def can_watch_uncounted(user: User | None) -> bool:
    """Watch a room without counting as one of its viewers (no join, no watch time)."""
    return user is not None and user.role is not Role.VIEWER


def require_uncounted_watcher(user: User | None) -> None:
    if not can_watch_uncounted(user):
        raise PermissionDenied(
            "only the platform's staff watch a room without being counted", code="wrong_role"
        )


def require_participant(user: User) -> None:
    if not can_take_part(user):
        raise PermissionDenied(
            f"a {user.role.value} only reads: it takes no part in rooms", code="wrong_role"
        )
