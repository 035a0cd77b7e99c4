"""Who may follow, subscribe and read notices."""

from __future__ import annotations

from liveshop.accounts.models import Role, User
from liveshop.core.errors import InvalidInput, NotFound, PermissionDenied
from liveshop.notifications.models import Notification

READ_ONLY_ROLES = frozenset({Role.REGULATOR})
HOST_ROLES = frozenset({Role.HOST, Role.ADMIN})


def can_follow(actor: User) -> bool:
    """Any user but a regulator (who only reads) follows and subscribes."""
    return actor.role not in READ_ONLY_ROLES


def require_follower(actor: User) -> None:
    if not can_follow(actor):
        raise PermissionDenied("a regulator only reads: no follows", code="read_only")


def require_followable_host(actor: User, *, host: User | None) -> User:
    if host is None or host.role not in HOST_ROLES:
        raise NotFound("host not found", code="host_not_found")
    if host.id == actor.id:
        raise InvalidInput("you cannot follow yourself", code="self_follow")
    return host


def require_own_notification(actor: User, *, notification: Notification | None) -> Notification:
    """A notice is its addressee's alone; to anyone else it does not exist."""
    if notification is None or notification.user_id != actor.id:
        raise NotFound("notification not found", code="notification_not_found")
    return notification
