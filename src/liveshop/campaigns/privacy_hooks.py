"""What campaigns hold about a person, for privacy's export and erasure.

Touches (clicks, visits), experiment exposures (signed in, and signed out under a
visitor id the person was later seen signed in with), pushes received and share links
are exported and erased. Paid-order facts (conversions) and KOL commissions
stay: they mirror orders and the ledger, which are under legal hold; the
person's touches go, so no order is attributed through them again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, select, update

from liveshop.campaigns.models import (
    Exposure,
    PushRecipient,
    Touch,
    TrackingLink,
    VisitorExposure,
)
from liveshop.core.db import rows_changed
from liveshop.privacy.registry import DataSubject


def export_campaign_data(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    touches = session.execute(
        select(TrackingLink.code, Touch.kind, Touch.room_id, Touch.at)
        .join(TrackingLink, TrackingLink.id == Touch.link_id)
        .where(Touch.user_id == user_id)
        .order_by(Touch.id)
    ).tuples()
    exposures = [
        *session.scalars(select(Exposure).where(Exposure.user_id == user_id)),
        *session.scalars(
            select(VisitorExposure).where(VisitorExposure.visitor.in_(_visitors_of(user_id)))
        ),
    ]
    shares = session.scalars(select(TrackingLink).where(TrackingLink.sharer_id == user_id)).all()
    received = session.scalars(select(PushRecipient).where(PushRecipient.user_id == user_id)).all()
    return {
        "link_touches": [
            {"link": code, "kind": kind.value, "room_id": room_id, "at": at.isoformat()}
            for code, kind, room_id, at in touches
        ],
        "experiment_exposures": [
            {"experiment_id": e.experiment_id, "variant": e.variant, "at": e.at.isoformat()}
            for e in exposures
        ],
        "share_links": [{"code": link.code, "target": link.target} for link in shares],
        "pushes": [{"push_id": r.push_id, "held_out": r.held_out} for r in received],
    }


def _visitors_of(user_id: int) -> Select[str]:
    """The attribution cookies' visitor ids the person was seen signed in with."""
    return select(Touch.visitor).where(Touch.user_id == user_id)


def erase_campaign_data(subject: DataSubject) -> dict[str, int]:
    session, user_id = subject.session, subject.user_id
    as_visitor = rows_changed(  # before their touches go: they name the visitor ids
        session.execute(
            delete(VisitorExposure).where(VisitorExposure.visitor.in_(_visitors_of(user_id)))
        )
    )
    return {
        "link_touches": rows_changed(
            session.execute(delete(Touch).where(Touch.user_id == user_id))
        ),
        "experiment_exposures": as_visitor
        + rows_changed(session.execute(delete(Exposure).where(Exposure.user_id == user_id))),
        "push_recipients": rows_changed(
            session.execute(delete(PushRecipient).where(PushRecipient.user_id == user_id))
        ),
        "share_links": rows_changed(
            session.execute(
                update(TrackingLink)
                .where(TrackingLink.sharer_id == user_id)
                .values(sharer_id=None, kol="")
            )
        ),
    }
