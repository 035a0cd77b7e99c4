"""Auctions over HTTP: create and start (the host), bid (a viewer with a card),
read (anyone; names masked), and the room's auctions. Closing is the job's."""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import json
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field, TypeAdapter, ValidationError

from liveshop.accounts.dependencies import CurrentUser, OptionalUser, required_caller
from liveshop.accounts.models import User
from liveshop.auctions import bidding, service, views
from liveshop.auctions.dependencies import get_bid_engine
from liveshop.auctions.engines import BidEngine
from liveshop.auctions.schemas import AuctionIn, AuctionOut, BidIn, BidResult
from liveshop.core.dependencies import DbSession, RowId, app_settings, writer_gate
from liveshop.core.errors import LiveShopError
from liveshop.core.settings import Settings

router = APIRouter(prefix="/api", tags=["auctions"])

BID_KEY = TypeAdapter(Annotated[str, Field(min_length=1, max_length=100)])


@router.post("/auctions", status_code=status.HTTP_201_CREATED)
def create_auction(body: AuctionIn, user: CurrentUser, session: DbSession) -> AuctionOut:
    auction = service.create_auction(session, actor=user, body=body)
    return views.auction_out(session, auction, viewer=user)


@router.post("/auctions/{auction_id}/start")
def start_auction(auction_id: RowId, user: CurrentUser, session: DbSession) -> AuctionOut:
    auction = service.start_auction(session, actor=user, auction_id=auction_id)
    return views.auction_out(session, auction, viewer=user)


@router.post(
    "/auctions/{auction_id}/bids",
    response_model=BidResult,
    responses={
        402: {"description": "card_required: no card on file"},
        409: {"description": "bid_too_low (the message gives the minimum) or auction_closed"},
        422: {"description": "a malformed body or Idempotency-Key"},
    },
    openapi_extra={
        # Read by the route itself (see below); documented here as FastAPI would.
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BidIn.model_json_schema()}},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                "description": "one per bid: a retried bid is counted once",
            }
        ],
        # Authenticated as CurrentUser is (bearer token, or the session cookie with CSRF).
        "security": [{"HTTPBearer": []}],
    },
)
async def bid(auction_id: RowId, request: Request) -> Response:
    """402 ``card_required`` without a card on file; 409 ``bid_too_low`` (the message
    gives the minimum) or ``auction_closed``. The reply is the bid and where the auction
    stands after it (on the Redis engine, Redis' state); the bid log is read with
    ``GET /api/auctions/{id}`` or followed in the room.

    The crowd's route, answered before FastAPI's router (``bid_fast_path.py``) and kept
    lean as the flash sale's buy is: no FastAPI dependency (each sync one is a thread
    hop, and with the app's dependency overrides FastAPI rebuilds their graph per
    request). The caller is authenticated in the event loop from the token cache, the
    input is checked here as FastAPI would. On Redis, a bid whose auction and bidder
    are known already is decided and answered in the event loop
    (``bidding.bid_reply_from_memory``); any other bid's whole unit of work, to its
    commit, and its reply run in one worker thread (``_bid_in_thread``)."""
    raw = await request.body()
    settings = app_settings(request.app)
    try:
        document = _json_body(request, raw)
        user = await required_caller(request, settings)
        max_amount, key = _bid_input(request, document)
        engine = _bid_engine(request, settings)
        database_url = settings.resolved_database_url()
        reply = await bidding.bid_reply_from_memory(
            database_url,
            bidder=user,
            auction_id=auction_id,
            max_amount=max_amount,
            idempotency_key=key,
            engine=engine,
        )
        if reply is None:
            reply = await _bid_in_thread(
                database_url, user, auction_id, max_amount, key, engine=engine
            )
    except LiveShopError as error:
        # The app's LiveShopError answer, without the trip through exception handling.
        return JSONResponse(
            {"detail": error.message, "code": error.code},
            status_code=error.status_code,
            headers=error.headers(),
        )
    return Response(reply, media_type="application/json")


async def _bid_in_thread(
    database_url: str,
    bidder: User,
    auction_id: int,
    max_amount: int,
    key: str,
    *,
    engine: BidEngine,
) -> bytes:
    """The bid's unit of work and reply in one worker thread (on the SQL engine behind
    the writing requests' gate, as any writing request's)."""
    gate = writer_gate(database_url) if engine.writes_in_request else None
    async with gate or contextlib.nullcontext():
        return await asyncio.to_thread(
            bidding.bid_reply,
            database_url,
            bidder=bidder,
            auction_id=auction_id,
            max_amount=max_amount,
            idempotency_key=key,
            engine=engine,
        )


def _json_body(request: Request, raw: bytes) -> Any:
    """The body as FastAPI reads it: JSON unless another content type is declared
    (then the bytes, which the body model refuses); undecodable JSON is a 422 now."""
    if not raw:
        return None
    content_type = request.headers.get("content-type")
    if content_type and content_type != "application/json":  # parsed only when not plain
        message = email.message.Message()
        message["content-type"] = content_type
        main, _, subtype = message.get_content_type().partition("/")
        if main != "application" or not (subtype == "json" or subtype.endswith("+json")):
            return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "ctx": {"error": error.msg},
                }
            ]
        ) from error


def _bid_input(request: Request, document: Any) -> tuple[int, str]:
    """(maximum, Idempotency-Key), validated as FastAPI would: the header's errors, then
    the body's, in one 422."""
    errors: list[dict[str, Any]] = []
    key = request.headers.get("idempotency-key")
    if key is None:
        errors.append(
            {"type": "missing", "loc": ("header", "Idempotency-Key"), "msg": "Field required"}
        )
    else:
        try:
            key = BID_KEY.validate_python(key)
        except ValidationError as error:
            errors.extend(
                {**detail, "loc": ("header", "Idempotency-Key")}
                for detail in error.errors(include_url=False)
            )
    body = None
    if document is None:
        errors.append({"type": "missing", "loc": ("body",), "msg": "Field required"})
    else:
        try:
            body = BidIn.model_validate(document)
        except ValidationError as error:
            errors.extend(
                {**detail, "loc": ("body", *detail["loc"])}
                for detail in error.errors(include_url=False)
            )
    if errors or body is None or key is None:
        raise RequestValidationError(errors)
    return body.max_amount, key


def _bid_engine(request: Request, settings: Settings) -> BidEngine:
    """What ``get_bid_engine`` would give (an override here takes no arguments)."""
    override = request.app.dependency_overrides.get(get_bid_engine)
    engine: BidEngine = override() if override is not None else get_bid_engine(settings)
    return engine


@router.get("/auctions/{auction_id}")
def get_auction(auction_id: RowId, session: DbSession, user: OptionalUser) -> AuctionOut:
    auction = service.get_auction(session, auction_id=auction_id)
    return views.auction_out(session, auction, viewer=user)


@router.get("/rooms/{room_id}/auctions")
def room_auctions(room_id: RowId, session: DbSession, user: OptionalUser) -> list[AuctionOut]:
    return [
        views.auction_out(session, auction, viewer=user)
        for auction in views.list_room_auctions(session, room_id=room_id)
    ]
