"""``GET /api/me/export``: everything LiveShop holds about the caller, as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from liveshop.core.audit.log import append_audit, entries_about, entry_out, user_ref
from liveshop.core.clock import utcnow
from liveshop.core.db import separate_writing_unit
from liveshop.core.settings import Settings
from liveshop.privacy.consents import consent_history
from liveshop.privacy.registry import DataSubject, exporters

EXPORT_FORMAT_VERSION = 1


def consents_out(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    return [
        {
            "purpose": consent.purpose,
            "policy_version": consent.policy_version,
            "granted_at": consent.granted_at.isoformat(),
            "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
        }
        for consent in consent_history(session, user_id=user_id)
    ]


def export_user_data(session: Session, *, user_id: int, settings: Settings) -> dict[str, Any]:
    """The subject's data from privacy itself (consents, audit entries about them)
    and from every registered exporter; the export itself is audited.

    Phones are masked and cards are brand and last four here as everywhere
    (``liveshop.privacy.masking``): an export travels, and a stolen session
    should not be able to pull the full numbers.
    """
    subject = DataSubject(session=session, user_id=user_id, settings=settings)
    sections: dict[str, Any] = {name: exporter(subject) for name, exporter in exporters().items()}
    sections["consents"] = consents_out(session, user_id=user_id)
    sections["audit"] = [
        entry_out(entry) for entry in entries_about(session, ref=user_ref(user_id))
    ]
    with separate_writing_unit(session) as writing:  # the reading above took no write lock
        append_audit(
            writing,
            actor=user_ref(user_id),
            action="privacy.export",
            subject=user_ref(user_id),
            details={"sections": sorted(sections)},
        )
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "user_id": user_id,
        **dict(sorted(sections.items())),
    }
