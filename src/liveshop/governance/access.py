"""Who may do what in moderation and governance: every access decision of the domain.

``can_*`` and ``is_*`` answer with a bool; ``require_*`` raises PermissionDenied (or
NotFound, where the thing is none of the caller's business) and returns nothing.

- Moderators and admins work the queue: claim and decide reports, impose penalties,
  decide appeals (never on a penalty of their own making, nor their own appeal).
- Admins alone review qualifications and run sampling inspections.
- The regulator reads its own view (``/api/regulator``) and nobody else does, not
  even an admin; regulators write nothing but their own notes and exports: they
  file no reports, and other domains ask :func:`is_read_only` before any write.
- A penalty is seen by moderators, admins and the penalised party (the user, or the
  penalised shop's people), and appealed by that party alone.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import READ_ONLY_ROLES
from liveshop.catalog.models import Shop
from liveshop.core.errors import NotFound, PermissionDenied
from liveshop.governance.models import Appeal, Penalty, SubjectType

MODERATOR_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})


def is_admin(user: User) -> bool:
    return user.role is Role.ADMIN


def is_host(user: User) -> bool:
    """Hosts answer for what they say live: a credit score, a minimum age, a deposit."""
    return user.role is Role.HOST


def is_regulator(user: User) -> bool:
    return user.role is Role.REGULATOR


def is_read_only(user: User) -> bool:
    """Reads the platform and writes nothing in it (a regulator), beyond its own account."""
    return user.role in READ_ONLY_ROLES


def can_moderate(user: User) -> bool:
    return user.role in MODERATOR_ROLES


def require_moderator(user: User) -> None:
    if not can_moderate(user):
        raise PermissionDenied("only moderators and admins do this", code="not_moderator")


def require_admin(user: User, *, doing: str) -> None:
    """Only admins ``doing`` (e.g. "review qualifications", "run inspections")."""
    if not is_admin(user):
        raise PermissionDenied(f"only admins {doing}", code="not_admin")


def require_regulator(user: User) -> None:
    if not is_regulator(user):
        raise PermissionDenied("this is the regulator's view", code="not_regulator")


def can_report(user: User) -> bool:
    """Anyone reports what they saw, except a regulator: it writes nothing."""
    return not is_read_only(user)


def require_reporter(user: User) -> None:
    if not can_report(user):
        raise PermissionDenied(
            "a regulator reads the platform and files nothing in it", code="wrong_role"
        )


def require_shop_member(session: Session, *, user: User, doing: str) -> Shop:
    """The shop the user owns or staffs: only a shop's people ``doing`` (its papers)."""
    shop = catalog.shop_of(session, user=user)
    if shop is None:
        raise PermissionDenied(f"only a shop's people {doing}", code="no_shop")
    return shop


def require_shops_own(shop: Shop, *, shop_id: int, what: str) -> None:
    """A thing (``what``) of shop ``shop_id`` belongs to ``shop``."""
    if shop_id != shop.id:
        raise PermissionDenied(f"this {what} belongs to another shop", code="not_your_shop")


def is_penalised_party(session: Session, *, user: User, penalty: Penalty) -> bool:
    """The penalised user, or the owner or staff of the penalised shop."""
    if penalty.subject_type is SubjectType.USER:
        return penalty.subject_id == user.id
    shop = catalog.shop_of(session, user=user)
    return shop is not None and shop.id == penalty.subject_id


def require_appellant(session: Session, *, user: User, penalty: Penalty) -> None:
    if not is_penalised_party(session, user=user, penalty=penalty):
        raise PermissionDenied("only the penalised party appeals", code="not_your_penalty")


def can_see_penalty(session: Session, *, user: User, penalty: Penalty) -> bool:
    return can_moderate(user) or is_penalised_party(session, user=user, penalty=penalty)


def require_penalty_reader(session: Session, *, user: User, penalty: Penalty) -> None:
    """To anyone but its readers the penalty does not exist."""
    if not can_see_penalty(session, user=user, penalty=penalty):
        raise NotFound(f"penalty {penalty.id} not found", code="penalty_not_found")


def excluded_deciders(penalty: Penalty) -> set[int]:
    """Who may not decide an appeal against ``penalty``: the moderator who imposed it,
    and for a ladder step the one whose penalty triggered it."""
    excluded = {penalty.imposed_by} if penalty.imposed_by is not None else set()
    trigger = penalty.evidence.get("triggered_by_moderator") if penalty.evidence else None
    if isinstance(trigger, int):
        excluded.add(trigger)
    return excluded


def can_decide_appeal(user: User, *, appeal: Appeal, penalty: Penalty) -> bool:
    return (
        can_moderate(user)
        and user.id not in excluded_deciders(penalty)
        and user.id != appeal.appellant_id
    )


def require_appeal_decider(user: User, *, appeal: Appeal, penalty: Penalty) -> None:
    require_moderator(user)
    if not can_decide_appeal(user, appeal=appeal, penalty=penalty):
        raise PermissionDenied(
            "another moderator than the one who imposed the penalty decides its appeal",
            code="same_moderator",
        )
