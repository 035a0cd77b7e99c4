"""Analysts' labels feed training: the journal of assessed events, with each case's
label, is a stream ``risk train`` reads."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.risk import RiskPath, RiskRequest
from liveshop.core.settings import Settings
from liveshop.risk.models import CaseStatus, RiskCase
from liveshop.risk.online import OnlineRisk
from liveshop.risk.replay import read_stream
from liveshop.risk.training_export import export_labelled_journal


def test_the_export_carries_the_analysts_label_and_the_outcomes(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    online = OnlineRisk(settings)
    now = utcnow()
    requests = [
        RiskRequest(
            path=RiskPath.PAYMENT,
            user_id=7,
            account_created_at=now - timedelta(days=3),
            at=now + timedelta(seconds=second),
            device_id="phone",
            card_fp=f"card-{second}",
            amount=500,
            subject=f"payment:{second}",
        )
        for second in range(3)
    ]
    with unit_of_work(database_url) as session:
        references = [online.assess(request, session=session).reference for request in requests]
    online.record_outcome(requests[0], succeeded=False)
    with unit_of_work(database_url) as session:
        session.add(
            RiskCase(
                path="payment",
                subject="payment:1",
                user_id=7,
                decision="challenge",
                score=0.0,
                reasons=[],
                features={},
                event={},
                reference=references[1],
                status=CaseStatus.CONFIRMED,
                label="card_testing",
            )
        )
    out = tmp_path / "labelled.csv"

    with unit_of_work(database_url) as session:
        rows, labelled = export_labelled_journal(session, home=settings.home, days=1, out=out)

    assert (rows, labelled) == (3, 1)
    with out.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert [(row["label"], row["outcome"], row["card_fp"]) for row in exported] == [
        ("legit", "fail", "card-0"),
        ("card_testing", "ok", "card-1"),
        ("legit", "ok", "card-2"),
    ]
    assert len(read_stream(out)) == 3  # what `liveshop risk train` reads
