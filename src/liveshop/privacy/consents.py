"""The consent ledger: grant and withdraw in one step each, per purpose.

A consent counts only under the purpose's current policy version: when the
policy changes materially its version changes, and users are asked again.
Sensitive purposes (PIPL art. 28-29: financial accounts, whereabouts) need a
separate consent given with an explicit acknowledgement, never bundled.
Personalised recommendations are off until the user turns them on (the
non-personalised feed is the default, PIPL art. 24).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import Conflict, InvalidInput
from liveshop.privacy.models import Consent
from liveshop.privacy.registry import withdrawal_hooks


class Purpose(enum.StrEnum):
    PERSONALISED_RECOMMENDATIONS = "personalised_recommendations"
    MARKETING_MESSAGES = "marketing_messages"
    STORED_CARDS = "stored_cards"  # sensitive: a financial account
    LOCATION = "location"  # sensitive: whereabouts


SENSITIVE_PURPOSES = frozenset({Purpose.STORED_CARDS, Purpose.LOCATION})

# The policy text each purpose is consented under; bump a version when its text
# changes materially, and earlier consents stop counting.
POLICY_VERSIONS: dict[Purpose, str] = {
    Purpose.PERSONALISED_RECOMMENDATIONS: "2026-11",
    Purpose.MARKETING_MESSAGES: "2026-11",
    Purpose.STORED_CARDS: "2026-11",
    Purpose.LOCATION: "2026-11",
}


@dataclass(frozen=True)
class ConsentStatus:
    purpose: Purpose
    sensitive: bool
    current_policy_version: str
    granted: bool  # an open consent under the current version
    policy_version: str | None  # of the latest consent, if any
    granted_at: datetime | None
    withdrawn_at: datetime | None


def _open_consent(session: Session, *, user_id: int, purpose: Purpose) -> Consent | None:
    return session.scalars(
        select(Consent).where(
            Consent.user_id == user_id,
            Consent.purpose == purpose.value,
            Consent.withdrawn_at.is_(None),
        )
    ).one_or_none()


def grant_consent(
    session: Session,
    *,
    user_id: int,
    purpose: Purpose,
    policy_version: str,
    acknowledge_sensitive: bool = False,
    now: datetime | None = None,
) -> tuple[Consent, bool]:
    """Consent to one purpose under its current policy; returns (consent, created).

    Granting again under the same version changes nothing; under a new version
    the old consent is closed and a new one opened.
    """
    if policy_version != POLICY_VERSIONS[purpose]:
        raise Conflict(
            f"the current policy for {purpose.value} is version {POLICY_VERSIONS[purpose]}",
            code="stale_policy_version",
        )
    if purpose in SENSITIVE_PURPOSES and not acknowledge_sensitive:
        raise InvalidInput(
            f"{purpose.value} is sensitive personal information: it needs its own consent "
            "with acknowledge_sensitive set",
            code="separate_consent_required",
        )
    moment = now or utcnow()
    existing = _open_consent(session, user_id=user_id, purpose=purpose)
    if existing is not None and existing.policy_version == policy_version:
        return existing, False
    if existing is not None:
        existing.withdrawn_at = moment  # superseded by the consent under the new version
    consent = Consent(
        user_id=user_id, purpose=purpose.value, policy_version=policy_version, granted_at=moment
    )
    try:
        with session.begin_nested():
            session.add(consent)
            session.flush()
    except IntegrityError:
        # Granted concurrently: the other request's consent stands.
        winner = _open_consent(session, user_id=user_id, purpose=purpose)
        if winner is None:
            raise
        return winner, False
    return consent, True


def withdraw_consent(
    session: Session,
    *,
    user_id: int,
    purpose: Purpose,
    now: datetime | None = None,
    run_hooks: bool = True,
) -> bool:
    """Withdraw in one step; True if a consent was open. What depends on the
    consent goes in the same transaction (withdrawal hooks: withdrawing
    stored_cards removes the stored cards, whether or not they were saved
    under a consent)."""
    closed = session.execute(
        update(Consent)
        .where(
            Consent.user_id == user_id,
            Consent.purpose == purpose.value,
            Consent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    for hook in withdrawal_hooks(purpose.value) if run_hooks else []:
        hook(session, user_id)
    session.flush()
    return rows_changed(closed) > 0


# Built once: recommendations ask it on every page open, and building the statement
# (and its cache key) cost more than running it.
OPEN_CONSENT_VERSION = select(Consent.policy_version).where(
    Consent.user_id == bindparam("user_id"),
    Consent.purpose == bindparam("purpose"),
    Consent.withdrawn_at.is_(None),
)


def has_consent(session: Session, *, user_id: int, purpose: Purpose) -> bool:
    version = session.scalars(
        OPEN_CONSENT_VERSION, {"user_id": user_id, "purpose": purpose.value}
    ).one_or_none()
    return version is not None and version == POLICY_VERSIONS[purpose]


def personalised_recommendations_allowed(session: Session, user_id: int) -> bool:
    """Whether recommendations may use this user's profile; False means the
    non-personalised option (popular and new items for everyone)."""
    return has_consent(session, user_id=user_id, purpose=Purpose.PERSONALISED_RECOMMENDATIONS)


def consent_history(session: Session, *, user_id: int) -> Sequence[Consent]:
    return session.scalars(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)
    ).all()


def consent_statuses(session: Session, *, user_id: int) -> list[ConsentStatus]:
    """Every purpose, with where the user stands on it."""
    latest: dict[str, Consent] = {}
    for consent in consent_history(session, user_id=user_id):
        latest[consent.purpose] = consent
    statuses = []
    for purpose in Purpose:
        last = latest.get(purpose.value)
        statuses.append(
            ConsentStatus(
                purpose=purpose,
                sensitive=purpose in SENSITIVE_PURPOSES,
                current_policy_version=POLICY_VERSIONS[purpose],
                granted=last is not None
                and last.withdrawn_at is None
                and last.policy_version == POLICY_VERSIONS[purpose],
                policy_version=last.policy_version if last else None,
                granted_at=last.granted_at if last else None,
                withdrawn_at=last.withdrawn_at if last else None,
            )
        )
    return statuses


def withdraw_all_consents(session: Session, *, user_id: int) -> int:
    """Close every open consent (erasure, whose erasers do what the hooks would)."""
    withdrawn = 0
    for purpose in Purpose:
        withdrawn += withdraw_consent(session, user_id=user_id, purpose=purpose, run_hooks=False)
    return withdrawn


def users_with_consent(session: Session, *, purpose: Purpose) -> list[int]:
    """Every user whose open consent to ``purpose`` is under its current policy (for
    jobs that build per-user models, e.g. recommendations, from those who allowed it)."""
    return list(
        session.scalars(
            select(Consent.user_id)
            .where(
                Consent.purpose == purpose.value,
                Consent.withdrawn_at.is_(None),
                Consent.policy_version == POLICY_VERSIONS[purpose],
            )
            .order_by(Consent.user_id)
        ).all()
    )


CONSENT_BATCH = 1_000  # ids per IN list: SQLite binds at most 32,766 parameters


def consenting_users(session: Session, *, purpose: Purpose, user_ids: Sequence[int]) -> set[int]:
    """Those of ``user_ids`` whose open consent to ``purpose`` is under its current policy
    (e.g. who of an audience may be sent marketing)."""
    unique = sorted(set(user_ids))
    found: set[int] = set()
    for start in range(0, len(unique), CONSENT_BATCH):
        found.update(
            session.scalars(
                select(Consent.user_id).where(
                    Consent.user_id.in_(unique[start : start + CONSENT_BATCH]),
                    Consent.purpose == purpose.value,
                    Consent.withdrawn_at.is_(None),
                    Consent.policy_version == POLICY_VERSIONS[purpose],
                )
            )
        )
    return found
