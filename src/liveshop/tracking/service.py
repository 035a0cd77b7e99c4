"""Shipments and their timelines. Services flush; the caller commits.

Shipping with a carrier moves the order to shipped (the orders state machine)
and opens the parcel's timeline. Scans arrive from the carrier (a signed push,
or the sandbox's schedule) and are recorded once each by the carrier's event id;
the newest scan sets the parcel's status. A delivery scan moves the order to
delivered, which starts its after-sales window (orders reads the transition's
time); an exception is published for the buyer and the shop to be told.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.bus import publish_after_commit
from liveshop.core.clock import utcnow
from liveshop.core.errors import InvalidInput, NotFound
from liveshop.core.languages import Words
from liveshop.orders import access as orders_access
from liveshop.orders import service as orders
from liveshop.orders.models import Order, OrderStatus
from liveshop.tracking.carriers import CarrierScan
from liveshop.tracking.config import CARRIER_NAMES
from liveshop.tracking.events import ParcelDelivered, ParcelException, ParcelShipped
from liveshop.tracking.models import CarrierEvent, ParcelStatus, Shipment
from liveshop.tracking.schemas import CarrierEventOut, ShipmentOut
from liveshop.tracking.words import carrier_name, scan_words

TERMINAL = frozenset({ParcelStatus.DELIVERED})


def ship_with_tracking(
    session: Session, *, actor: User, order_id: int, carrier: str, tracking_number: str
) -> Shipment:
    """The shop hands the parcel to ``carrier``: the order is shipped, the timeline opens."""
    if carrier not in CARRIER_NAMES:
        raise InvalidInput(
            f"unknown carrier {carrier!r}; one of {', '.join(sorted(CARRIER_NAMES))}",
            code="unknown_carrier",
        )
    order = orders.ship_order(
        session, actor=actor, order_id=order_id, tracking_number=tracking_number
    )
    shipment = Shipment(
        order_id=order.id,
        carrier=carrier,
        tracking_number=tracking_number,
        status=ParcelStatus.REGISTERED,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(shipment)
    except IntegrityError as error:
        raise InvalidInput(
            "this tracking number is on another parcel already", code="tracking_number_taken"
        ) from error
    publish_after_commit(
        session,
        ParcelShipped(
            order_id=order.id,
            buyer_id=order.buyer_id,
            shop_id=order.shop_id,
            carrier=carrier,
            tracking_number=tracking_number,
        ),
    )
    return shipment


def shipment_by_number(session: Session, *, carrier: str, tracking_number: str) -> Shipment | None:
    return session.scalars(
        select(Shipment).where(
            Shipment.carrier == carrier, Shipment.tracking_number == tracking_number
        )
    ).one_or_none()


def record_scans(session: Session, *, shipment: Shipment, scans: Sequence[CarrierScan]) -> int:
    """Record the scans not seen before (by event id); the number recorded."""
    recorded = 0
    for scan in scans:
        try:
            with session.begin_nested():
                session.add(
                    CarrierEvent(
                        shipment_id=shipment.id,
                        event_id=scan.event_id,
                        status=scan.status,
                        scan=scan.scan,
                        location=scan.location,
                        description=scan.description,
                        occurred_at=scan.occurred_at,
                        received_at=utcnow(),
                    )
                )
        except IntegrityError:
            continue
        recorded += 1
    if recorded:
        _settle_status(session, shipment)
    return recorded


def _settle_status(session: Session, shipment: Shipment) -> None:
    newest = session.scalars(
        select(CarrierEvent)
        .where(CarrierEvent.shipment_id == shipment.id)
        .order_by(CarrierEvent.occurred_at.desc(), CarrierEvent.id.desc())
        .limit(1)
    ).one()
    before = shipment.status
    if before in TERMINAL or newest.status is before:
        return
    shipment.status = newest.status
    shipment.updated_at = utcnow()
    order = session.get_one(Order, shipment.order_id)
    if newest.status is ParcelStatus.DELIVERED:
        shipment.delivered_at = newest.occurred_at
        if order.status is OrderStatus.SHIPPED:
            orders.transition(
                session,
                order=order,
                to=OrderStatus.DELIVERED,
                actor_id=None,
                note=f"{shipment.carrier}: delivered at {newest.location}",
            )
        publish_after_commit(
            session,
            ParcelDelivered(order_id=order.id, buyer_id=order.buyer_id, shop_id=order.shop_id),
        )
    elif newest.status is ParcelStatus.EXCEPTION:
        publish_after_commit(
            session,
            ParcelException(
                order_id=order.id,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                scan=newest.scan or ParcelStatus.EXCEPTION.value,
                description=newest.description or newest.location,
            ),
        )
    session.flush()


def _shipment_of(session: Session, order_id: int) -> Shipment:
    shipment = session.scalars(select(Shipment).where(Shipment.order_id == order_id)).one_or_none()
    if shipment is None:
        raise NotFound(f"order {order_id} has no tracked parcel", code="no_shipment")
    return shipment


def tracking_for(session: Session, *, actor: User, order_id: int, words: Words) -> ShipmentOut:
    """The parcel's timeline, for those who may read the order, in ``words``."""
    order = orders.get_order(session, order_id=order_id)
    orders_access.require_order_reader(session, actor=actor, order=order)
    return shipment_out(session, _shipment_of(session, order.id), words=words)


def _event_out(event: CarrierEvent, words: Words) -> CarrierEventOut:
    if event.scan is None:  # kept before scans had a code: its description is its words
        description, lang = scan_words(None, event.description, words)
        note = ""
    else:
        description, lang = scan_words(event.scan, "", words)
        note = event.description
    return CarrierEventOut(
        status=event.status,
        scan=event.scan,
        description=description,
        lang=lang,
        location=event.location,
        carrier_note=note,
        occurred_at=event.occurred_at,
    )


def shipment_out(session: Session, shipment: Shipment, *, words: Words) -> ShipmentOut:
    events = session.scalars(
        select(CarrierEvent)
        .where(CarrierEvent.shipment_id == shipment.id)
        .order_by(CarrierEvent.occurred_at.desc(), CarrierEvent.id.desc())
    ).all()
    return ShipmentOut(
        order_id=shipment.order_id,
        carrier=shipment.carrier,
        carrier_name=carrier_name(shipment.carrier, words),
        tracking_number=shipment.tracking_number,
        status=shipment.status,
        delivered_at=shipment.delivered_at,
        events=[_event_out(event, words) for event in events],
    )


def open_shipments(session: Session, *, carrier: str, limit: int = 500) -> list[Shipment]:
    """Parcels of a polling carrier still on their way (an exception may still move on)."""
    return list(
        session.scalars(
            select(Shipment)
            .where(Shipment.carrier == carrier, Shipment.status.not_in(list(TERMINAL)))
            .order_by(Shipment.id)
            .limit(limit)
        )
    )
