"""Erasure (the right to be forgotten): remove or anonymise everything but the
records under legal hold, which stay, unlinked from the person's name.

What stays: orders (with their address copy) and payments for the legal hold
(``retention.LEGAL_HOLD``), the ledger for good (it holds ids and amounts only,
and must keep balancing), and audit entries, which name users by id only. The
account row stays too, so that those records keep a valid owner: its name
becomes ``erased-<id>`` and its password an unusable random one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.audit.log import append_audit, user_ref
from liveshop.core.errors import Conflict, NotFound, PermissionDenied
from liveshop.core.security import verify_password
from liveshop.core.settings import Settings
from liveshop.privacy.consents import withdraw_all_consents
from liveshop.privacy.registry import DataSubject, erasers, erasure_checks


@dataclass(frozen=True)
class Erasure:
    user_id: int
    erased: dict[str, dict[str, int]]  # per domain, what went (counts only)


def erasure_blockers(session: Session, *, user_id: int, settings: Settings) -> list[str]:
    """Why erasure must wait (an order in flight, money left in the wallet), if anything."""
    subject = DataSubject(session=session, user_id=user_id, settings=settings)
    return [reason for check in erasure_checks().values() for reason in check(subject)]


def erase_subject(session: Session, *, user_id: int, settings: Settings, actor: str) -> Erasure:
    """Erase without a password check (the caller authorised it: the user through
    :func:`erase_my_account`, or an operator). One transaction: all or nothing."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    blockers = erasure_blockers(session, user_id=user_id, settings=settings)
    if blockers:
        raise Conflict("erasure must wait: " + "; ".join(blockers), code="erasure_blocked")
    subject = DataSubject(session=session, user_id=user_id, settings=settings)
    erased = {"consents": {"withdrawn": withdraw_all_consents(session, user_id=user_id)}}
    for registered in erasers():
        erased[registered.name] = registered.eraser(subject)
    session.flush()
    append_audit(
        session, actor=actor, action="privacy.erase", subject=user_ref(user_id), details=erased
    )
    return Erasure(user_id=user_id, erased=erased)


def confirm_password(session: Session, *, user_id: int, password: str) -> None:
    """PermissionDenied unless ``password`` is the user's. Argon2 costs tens of
    milliseconds of CPU: call this in a read-only unit of work before the erasure's
    own (a writing transaction holds SQLite's one write lock)."""
    user = session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, password):
        raise PermissionDenied("the password does not match", code="wrong_password")


def erase_my_account(session: Session, *, user_id: int, settings: Settings) -> Erasure:
    """The user's own request, once :func:`confirm_password` accepted their password."""
    return erase_subject(session, user_id=user_id, settings=settings, actor=user_ref(user_id))
