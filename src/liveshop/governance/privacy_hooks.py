"""What enforcement and qualifications hold about a person, for ``privacy``'s
export and erasure (``GET /api/me/export``, erasure of an account).

- export: the user's identity verification (the ID number only masked: the
  number itself was never kept), the reports they filed, the penalties against
  them and their appeals;
- erasure: the identity verification is deleted (which also frees the identity
  for another account); reports keep their moderation record but lose the
  reporter's own words (the evidence the platform captured stays); appeals lose
  their statement; penalties stay, as enforcement records naming the user by id.

``liveshop.wiring`` registers :func:`export_moderation_data` and
:func:`erase_moderation_data` with privacy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from liveshop.core.db import rows_changed
from liveshop.governance.models import Appeal, Penalty, Report, SubjectType
from liveshop.governance.qualifications.models import IdentityVerification
from liveshop.privacy.registry import DataSubject

ERASED_TEXT = "[erased]"


def export_moderation_data(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    return {
        "identity_verification": _identity_out(session, user_id),
        "reports_filed": [
            {
                "id": report.id,
                "target": f"{report.target_type.value}:{report.target_id}",
                "reason": report.reason,
                "details": report.details,
                "status": report.status.value,
                "created_at": report.created_at.isoformat(),
            }
            for report in session.scalars(
                select(Report).where(Report.reporter_id == user_id).order_by(Report.id)
            )
        ],
        "penalties": [
            {
                "id": penalty.id,
                "kind": penalty.kind.value,
                "rule": penalty.rule,
                "starts_at": penalty.starts_at.isoformat(),
                "ends_at": penalty.ends_at.isoformat() if penalty.ends_at else None,
                "revoked": penalty.revoked_at is not None,
            }
            for penalty in session.scalars(
                select(Penalty)
                .where(Penalty.subject_type == SubjectType.USER, Penalty.subject_id == user_id)
                .order_by(Penalty.id)
            )
        ],
        "appeals": [
            {"id": appeal.id, "penalty_id": appeal.penalty_id, "status": appeal.status.value}
            for appeal in session.scalars(
                select(Appeal).where(Appeal.appellant_id == user_id).order_by(Appeal.id)
            )
        ],
    }


def _identity_out(session: Session, user_id: int) -> dict[str, Any] | None:
    verification = session.get(IdentityVerification, user_id)
    if verification is None:
        return None
    return {
        "real_name": verification.real_name,
        "id_number": verification.id_number_masked,
        "birth_date": verification.birth_date.isoformat(),
        "guardian_consent": verification.guardian_consent,
        "verified_at": verification.verified_at.isoformat(),
    }


def erase_moderation_data(subject: DataSubject) -> dict[str, int]:
    session, user_id = subject.session, subject.user_id
    identities = session.execute(
        delete(IdentityVerification).where(IdentityVerification.user_id == user_id)
    )
    reports = session.scalars(select(Report).where(Report.reporter_id == user_id)).all()
    for report in reports:  # the platform's captured evidence stays: it is about the accused
        report.details = ERASED_TEXT
        report.evidence = {**report.evidence, "reported": ERASED_TEXT}
    appeals = session.execute(
        update(Appeal).where(Appeal.appellant_id == user_id).values(statement=ERASED_TEXT)
    )
    return {
        "identity_verifications": rows_changed(identities),
        "reports_anonymised": len(reports),
        "appeals_anonymised": rows_changed(appeals),
    }
