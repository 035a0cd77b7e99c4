"""Scans arriving from carriers: a signed push, or the sandbox's schedule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import NotFound
from liveshop.tracking import service
from liveshop.tracking.carriers import SANDBOX, Carrier, CarrierScan, WebhookCarrier
from liveshop.tracking.models import Shipment
from liveshop.tracking.schemas import PushResult


def receive_push(
    session: Session,
    *,
    carrier: Carrier | None,
    body: bytes,
    signature: str,
    now: datetime | None = None,
) -> PushResult:
    """A carrier's signed push: every event of a parcel we track is recorded once.
    Events of parcels we do not know are skipped (the carrier tracks others' too)."""
    if not isinstance(carrier, WebhookCarrier):
        raise NotFound("no such carrier takes pushes", code="unknown_carrier")
    carrier.verify(body, signature, now=now or utcnow())
    recorded = duplicates = 0
    by_parcel: dict[str, list[CarrierScan]] = {}
    for scan in carrier.parse(body):
        by_parcel.setdefault(scan.tracking_number, []).append(scan)
    for tracking_number, scans in by_parcel.items():
        shipment = service.shipment_by_number(
            session, carrier=carrier.code, tracking_number=tracking_number
        )
        if shipment is None:
            continue
        written = service.record_scans(session, shipment=shipment, scans=scans)
        recorded += written
        duplicates += len(scans) - written
    return PushResult(recorded=recorded, duplicates=duplicates)


def advance_sandbox_parcels(
    database_url: str, *, carrier: Carrier, now: datetime | None = None
) -> int:
    """Record the sandbox scans now due, one transaction per parcel; scans recorded."""
    moment = now or utcnow()
    with unit_of_work(database_url) as session:
        parcels = [
            (shipment.id, shipment.tracking_number, shipment.created_at)
            for shipment in service.open_shipments(session, carrier=SANDBOX)
        ]
    recorded = 0
    for shipment_id, tracking_number, shipped_at in parcels:
        scans = carrier.scans_due(
            tracking_number=tracking_number, shipped_at=shipped_at, now=moment
        )
        if not scans:
            continue
        with unit_of_work(database_url) as session:
            shipment = session.get_one(Shipment, shipment_id)
            recorded += service.record_scans(session, shipment=shipment, scans=scans)
    return recorded
