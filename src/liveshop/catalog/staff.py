"""Shop staff, by invitation: the owner invites, the invitee accepts or declines, the
owner revokes an open invitation or removes staff, and staff may leave.

Rules: a user belongs to at most one shop, as its owner or as staff (the
``shop_staff.user_id`` unique index); an owner never becomes another shop's
staff (accepting is refused, and ``shops.shop_of`` prefers the owned shop
anyway); overseers (moderators, regulators, risk analysts) act for no shop.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import access
from liveshop.catalog.models import InvitationStatus, Shop, ShopStaff, ShopStaffInvitation
from liveshop.catalog.schemas import StaffInvitationOut, StaffMemberOut
from liveshop.catalog.shops import owned_shop, staffed_shop
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, NotFound


class InvitationNotPending(Conflict):
    code = "invitation_not_pending"


def _candidate(session: Session, *, shop: Shop, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    access.require_staff_candidate(user)
    if owned_shop(session, user=user) is not None:
        raise Conflict(
            f"user {user_id} owns a shop: an owner never becomes another shop's staff",
            code="owns_a_shop",
        )
    staffed = staffed_shop(session, user=user)
    if staffed is not None and staffed.id == shop.id:
        raise Conflict(f"user {user_id} already acts for this shop", code="already_staff")
    return user


def invite_staff(session: Session, *, owner: User, user_id: int) -> ShopStaffInvitation:
    """Ask ``user_id`` to act for the owner's shop; they decide."""
    shop = access.require_shop_owner(session, actor=owner)
    user = _candidate(session, shop=shop, user_id=user_id)
    invitation = ShopStaffInvitation(
        shop_id=shop.id, user_id=user.id, invited_by=owner.id, status=InvitationStatus.PENDING
    )
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"user {user_id} has an open invitation from this shop", code="already_invited"
        ) from error
    return invitation


def _decide(session: Session, *, invitation: ShopStaffInvitation, status: InvitationStatus) -> None:
    """Close a pending invitation (one conditional UPDATE: decided once)."""
    decided = session.execute(
        update(ShopStaffInvitation)
        .where(
            ShopStaffInvitation.id == invitation.id,
            ShopStaffInvitation.status == InvitationStatus.PENDING,
        )
        .values(status=status, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_changed(decided) != 1:
        raise InvitationNotPending(f"invitation {invitation.id} was already answered or revoked")
    session.refresh(invitation)


def accept_invitation(
    session: Session, *, invitee: User, invitation_id: int
) -> ShopStaffInvitation:
    invitation = access.require_invitee(
        session.get(ShopStaffInvitation, invitation_id), actor=invitee
    )
    if invitation.status is not InvitationStatus.PENDING:
        raise InvitationNotPending(f"invitation {invitation.id} is {invitation.status.value}")
    if owned_shop(session, user=invitee) is not None:
        raise Conflict(
            "you own a shop: an owner never becomes another shop's staff", code="owns_a_shop"
        )
    if staffed_shop(session, user=invitee) is not None:
        raise Conflict("you already act for a shop: leave it first", code="already_staff")
    _decide(session, invitation=invitation, status=InvitationStatus.ACCEPTED)
    try:
        with session.begin_nested():
            session.add(ShopStaff(shop_id=invitation.shop_id, user_id=invitee.id))
            session.flush()
    except IntegrityError as error:  # accepted elsewhere at the same moment
        raise Conflict(
            "you already act for a shop: leave it first", code="already_staff"
        ) from error
    return invitation


def decline_invitation(
    session: Session, *, invitee: User, invitation_id: int
) -> ShopStaffInvitation:
    invitation = access.require_invitee(
        session.get(ShopStaffInvitation, invitation_id), actor=invitee
    )
    _decide(session, invitation=invitation, status=InvitationStatus.DECLINED)
    return invitation


def revoke_invitation(session: Session, *, owner: User, invitation_id: int) -> None:
    shop = access.require_shop_owner(session, actor=owner)
    invitation = session.get(ShopStaffInvitation, invitation_id)
    if invitation is None or invitation.shop_id != shop.id:
        raise NotFound(f"invitation {invitation_id} not found", code="invitation_not_found")
    _decide(session, invitation=invitation, status=InvitationStatus.REVOKED)


def remove_staff(session: Session, *, actor: User, user_id: int) -> None:
    """The owner removes a staff member, or a staff member leaves the shop."""
    shop = access.require_staff_remover(session, actor=actor, user_id=user_id)
    removed = session.execute(
        delete(ShopStaff).where(ShopStaff.shop_id == shop.id, ShopStaff.user_id == user_id)
    )
    if rows_changed(removed) != 1:
        raise NotFound(f"user {user_id} is not this shop's staff", code="staff_not_found")


def _invitation_out(invitation: ShopStaffInvitation, shop: Shop, user: User) -> StaffInvitationOut:
    return StaffInvitationOut(
        id=invitation.id,
        shop_id=shop.id,
        shop_name=shop.name,
        user_id=user.id,
        username=user.username,
        invited_by=invitation.invited_by,
        status=invitation.status,
        created_at=invitation.created_at,
        decided_at=invitation.decided_at,
    )


def invitation_out(session: Session, invitation: ShopStaffInvitation) -> StaffInvitationOut:
    return _invitation_out(
        invitation,
        session.get_one(Shop, invitation.shop_id),
        session.get_one(User, invitation.user_id),
    )


def my_invitations(session: Session, *, user: User) -> list[StaffInvitationOut]:
    """The open invitations addressed to the user, newest first."""
    rows = session.execute(
        select(ShopStaffInvitation, Shop)
        .join(Shop, Shop.id == ShopStaffInvitation.shop_id)
        .where(
            ShopStaffInvitation.user_id == user.id,
            ShopStaffInvitation.status == InvitationStatus.PENDING,
        )
        .order_by(ShopStaffInvitation.id.desc())
    ).tuples()
    return [_invitation_out(invitation, shop, user) for invitation, shop in rows]


def shop_invitations(session: Session, *, owner: User) -> list[StaffInvitationOut]:
    """Every invitation of the owner's shop, newest first, with its answer."""
    shop = access.require_shop_owner(session, actor=owner)
    rows = session.execute(
        select(ShopStaffInvitation, User)
        .join(User, User.id == ShopStaffInvitation.user_id)
        .where(ShopStaffInvitation.shop_id == shop.id)
        .order_by(ShopStaffInvitation.id.desc())
    ).tuples()
    return [_invitation_out(invitation, shop, user) for invitation, user in rows]


def shop_staff(session: Session, *, owner: User) -> list[StaffMemberOut]:
    shop = access.require_shop_owner(session, actor=owner)
    rows = session.execute(
        select(User.id, User.username)
        .join(ShopStaff, ShopStaff.user_id == User.id)
        .where(ShopStaff.shop_id == shop.id)
        .order_by(ShopStaff.id)
    ).tuples()
    return [StaffMemberOut(user_id=user_id, username=username) for user_id, username in rows]
