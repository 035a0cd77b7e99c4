"""The analysts' labels joined to the journal: the stream ``risk train`` learns from."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.risk.journal import journal_dir
from liveshop.risk.models import RiskCase
from liveshop.risk.simulation import COLUMNS


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def export_labelled_journal(
    session: Session, *, home: Path, days: int, out: Path
) -> tuple[int, int]:
    """Write assessed events of the last ``days`` days (files of those days) with the
    outcome reported for each, and their case's label; answers (rows, labelled)."""
    labelled_cases = select(RiskCase.reference, RiskCase.label).where(RiskCase.label.is_not(None))
    labels = {reference: label for reference, label in session.execute(labelled_cases)}
    files = sorted(journal_dir(home).glob("*.jsonl"))[-(days + 1) :]
    rows: list[list[str]] = []
    failed: set[tuple[str, float]] = set()
    assessed: list[tuple[str, dict[str, object]]] = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                event = record["event"]
                if "outcome" in record:
                    if record["outcome"] == "fail":
                        failed.add((str(event["user_id"]), float(event["ts"])))
                else:
                    assessed.append((record["ref"], event))
    labelled = 0
    for reference, event in assessed:
        label = labels.get(reference) or "legit"
        labelled += reference in labels
        outcome = "fail" if (str(event["user_id"]), float(str(event["ts"]))) in failed else "ok"
        rows.append(
            [
                _iso(float(str(event["ts"]))),
                str(event["kind"]),
                str(event["user_id"]),
                _iso(float(str(event["account_created_at"]))),
                str(event["device_id"]),
                str(event["ip"]),
                str(event["card_fp"]),
                str(event["amount"]),
                str(event["merchant_id"]),
                str(event["room_id"]),
                str(event["ip_region"]),
                str(event["billing_region"]),
                str(event["shipping_region"]),
                str(event["address_id"]),
                outcome,
                label,
            ]
        )
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows), labelled
