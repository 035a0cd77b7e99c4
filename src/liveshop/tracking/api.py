"""Parcel tracking over HTTP: ship with a carrier, read the timeline, carriers' pushes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import InvalidInput
from liveshop.core.languages import ReaderWords
from liveshop.tracking import receiving, service
from liveshop.tracking.config import carriers_for
from liveshop.tracking.schemas import PushResult, ShipmentIn, ShipmentOut

router = APIRouter(tags=["tracking"])

MAX_PUSH_BYTES = 256 * 1024


@router.post("/api/orders/{order_id}/shipment", status_code=status.HTTP_201_CREATED)
def ship_with_tracking(
    order_id: RowId, body: ShipmentIn, user: CurrentUser, session: DbSession, words: ReaderWords
) -> ShipmentOut:
    shipment = service.ship_with_tracking(
        session,
        actor=user,
        order_id=order_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return service.shipment_out(session, shipment, words=words)


@router.get("/api/orders/{order_id}/tracking")
def order_tracking(
    order_id: RowId, user: CurrentUser, session: DbSession, words: ReaderWords
) -> ShipmentOut:
    """The timeline in the request's language (as its page would choose it)."""
    return service.tracking_for(session, actor=user, order_id=order_id, words=words)


async def raw_body(request: Request) -> bytes:
    """The push exactly as signed (parsing first would change the bytes)."""
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise InvalidInput("the push is too large", code="push_too_large")
    return body


@router.post("/api/carriers/{carrier}/webhook")
def carrier_push(
    carrier: Annotated[str, Path(max_length=30, pattern=r"^[a-z0-9_]+$")],
    body: Annotated[bytes, Depends(raw_body)],
    session: DbSession,
    settings: SettingsDep,
    x_carrier_signature: Annotated[str, Header(max_length=300)] = "",
) -> PushResult:
    """A carrier's signed push of scans (no user: the signature is the proof)."""
    return receiving.receive_push(
        session,
        carrier=carriers_for(settings).get(carrier),
        body=body,
        signature=x_carrier_signature,
    )
