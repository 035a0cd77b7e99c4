"""Retention: how long each class of data is kept, and the jobs that remove or
anonymise what is past its period.

Privacy owns the consent ledger and runs the audit log's pruning; the data of
other domains is purged by functions of theirs, registered with
``register_purger`` by ``liveshop.wiring`` (as are privacy's own two).
``run_retention`` runs every class (the CLI ``liveshop privacy retention`` and
a daily job call it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from liveshop.core.audit.log import append_audit, prune_audit_log
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.settings import Settings
from liveshop.privacy.data_classes import DataClass as DataClass  # re-exported
from liveshop.privacy.models import Consent

RETENTION_ACTOR = "system:retention"

# "At least three years" (电子商务法 art. 31 for transaction records, the live-
# marketing rules for live content); 3 x 366 days so leap years never cut it short.
LEGAL_HOLD = timedelta(days=3 * 366)


RETENTION: dict[DataClass, timedelta] = {
    # Pseudonymous already; half a year covers the campaign, funnel and RFM windows
    # analytics reads, and no more is needed.
    DataClass.BEHAVIOUR_EVENTS: timedelta(days=180),
    # Chat is part of the live record, which the live-marketing rules keep 3 years.
    DataClass.CHAT_MESSAGES: LEGAL_HOLD,
    # Counted from expiry or revocation: a month to investigate a misused token.
    DataClass.API_TOKENS: timedelta(days=30),
    # Counted from withdrawal: proof of what was consented to, for the civil
    # limitation period (民法典 art. 188, three years).
    DataClass.CONSENT_RECORDS: LEGAL_HOLD,
    # At least 12 months for vault decryptions; three years for enforcement
    # appeals and regulators' inspections.
    DataClass.AUDIT_LOG: LEGAL_HOLD,
    # An order's copy of the shipping address is part of the transaction record:
    # kept for the legal hold, then anonymised (the order, amounts and ledger stay).
    DataClass.ORDER_ADDRESSES: LEGAL_HOLD,
}
# Never purged: the ledger (accounting records, and it must keep balancing) and
# the order and payment rows themselves, which hold no contact data once the
# address copy is anonymised.

Purger = Callable[[Session, datetime, Settings], int]  # (session, cutoff, settings) -> rows


@dataclass
class RetentionRun:
    data_class: DataClass
    cutoff: datetime
    removed: dict[str, int] = field(default_factory=dict)


_purgers: dict[tuple[DataClass, str], Purger] = {}


def register_purger(data_class: DataClass, name: str, purger: Purger) -> None:
    """``purger(session, cutoff, settings)`` removes or anonymises the data of
    ``data_class`` older than ``cutoff`` and returns how many rows it changed."""
    _purgers[(data_class, name)] = purger


def purge_withdrawn_consents(session: Session, cutoff: datetime, _settings: Settings) -> int:
    return rows_changed(
        session.execute(
            delete(Consent).where(Consent.withdrawn_at.is_not(None), Consent.withdrawn_at < cutoff)
        )
    )


def prune_audit(session: Session, cutoff: datetime, _settings: Settings) -> int:
    return prune_audit_log(session, before=cutoff, actor=RETENTION_ACTOR)


def purgers() -> dict[tuple[DataClass, str], Purger]:
    """The registered purgers, by data class and name."""
    return dict(sorted(_purgers.items()))


def run_retention(
    session: Session,
    *,
    settings: Settings,
    now: datetime | None = None,
    only: Collection[DataClass] | None = None,
) -> list[RetentionRun]:
    """Run the purgers of every class (or of ``only``) in the caller's transaction."""
    moment = now or utcnow()
    runs = []
    for data_class in DataClass:
        if only is not None and data_class not in only:
            continue
        run = RetentionRun(data_class=data_class, cutoff=moment - RETENTION[data_class])
        for (purger_class, name), purger in sorted(_purgers.items()):
            if purger_class is data_class:
                run.removed[name] = purger(session, run.cutoff, settings)
        runs.append(run)
    if any(sum(run.removed.values()) for run in runs):
        append_audit(
            session,
            actor=RETENTION_ACTOR,
            action="privacy.retention",
            subject="retention",
            details={run.data_class.value: run.removed for run in runs},
        )
    return runs
