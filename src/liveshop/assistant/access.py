"""Who may do what with the assistant: moderators switch it per room; the room's
host (and moderators, admins) read its replies and the chat's insights; the
shop's owner and staff edit the FAQ."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import access as catalog_access
from liveshop.catalog.models import Shop
from liveshop.core.errors import PermissionDenied
from liveshop.governance.access import can_moderate
from liveshop.live import access as live_access
from liveshop.live.models import Room


def can_switch_assistant(actor: User) -> bool:
    return can_moderate(actor)


def require_assistant_switcher(actor: User) -> None:
    if not can_switch_assistant(actor):
        raise PermissionDenied("only moderators turn the assistant on or off", code="wrong_role")


def can_read_room_assistant(actor: User, *, room: Room) -> bool:
    return live_access.can_run_room(actor, room=room) or can_moderate(actor)


def require_room_assistant_reader(actor: User, *, room: Room) -> None:
    if not can_read_room_assistant(actor, room=room):
        raise PermissionDenied("the room's host reads the assistant's replies", code="not_host")


def require_faq_editor(session: Session, *, actor: User, shop: Shop | None) -> Shop:
    """The actor's shop, which they own or staff (the FAQ is that shop's)."""
    if shop is None or not catalog_access.can_manage_shop(session, actor=actor, shop_id=shop.id):
        raise PermissionDenied("the shop's owner and staff edit its FAQ", code="not_shop_staff")
    return shop
