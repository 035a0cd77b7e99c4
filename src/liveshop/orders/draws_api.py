"""Lucky draws over HTTP."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import User
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.events.recorder import watched_seconds
from liveshop.live.dependencies import HubDep, RecorderDep
from liveshop.orders import draws, service
from liveshop.orders.models import LuckyDraw
from liveshop.orders.schemas import DrawIn, DrawOut, DrawVerification, OrderOut

router = APIRouter(prefix="/api", tags=["lucky draws"])


@router.post("/draws", status_code=status.HTTP_201_CREATED)
def create_draw(body: DrawIn, user: CurrentUser, session: DbSession) -> DrawOut:
    return draws.draw_out(session, draws.create_draw(session, actor=user, body=body))


@router.get("/draws/{draw_id}")
def get_draw(draw_id: RowId, session: DbSession) -> DrawOut:
    """Before the draw: the commitment; after: the seed, the entrants and the winners."""
    return draws.draw_out(session, draws.get_draw(session, draw_id=draw_id))


@router.get("/draws/{draw_id}/verification")
def verify_draw(draw_id: RowId, session: DbSession) -> DrawVerification:
    return draws.verify(draws.draw_out(session, draws.get_draw(session, draw_id=draw_id)))


@router.post("/draws/{draw_id}/entries", status_code=status.HTTP_204_NO_CONTENT)
async def enter_draw(
    draw_id: RowId, user: CurrentUser, hub: HubDep, recorder: RecorderDep, settings: SettingsDep
) -> None:
    """Enter if every task is done (watch time counts this visit and earlier ones)."""
    room_id = await asyncio.to_thread(_room_of, settings.resolved_database_url(), draw_id)
    await hub.persist()  # chat is written behind: a keyword said a moment ago must count
    stored = await asyncio.to_thread(watched_seconds, recorder, room_id=room_id, user_id=user.id)
    watched = stored + hub.watching_seconds(room_id, user.id)
    await asyncio.to_thread(_enter, settings.resolved_database_url(), user.id, draw_id, watched)


def _room_of(database_url: str, draw_id: RowId) -> int:
    with unit_of_work(database_url, writes=False) as session:
        return draws.get_draw(session, draw_id=draw_id).room_id


def _enter(database_url: str, user_id: int, draw_id: RowId, watched: float) -> None:
    with unit_of_work(database_url) as session:
        draws.enter_draw(
            session, user=session.get_one(User, user_id), draw_id=draw_id, watched_seconds=watched
        )


@router.post("/draws/{draw_id}/draw")
def run_draw(draw_id: RowId, user: CurrentUser, session: DbSession) -> DrawOut:
    draw: LuckyDraw = draws.run_draw(session, draw_id=draw_id, actor=user)
    return draws.draw_out(session, draw)


@router.get("/rooms/{room_id}/draws")
def room_draws(room_id: RowId, session: DbSession) -> list[DrawOut]:
    return [draws.draw_out(session, draw) for draw in draws.room_draws(session, room_id=room_id)]


@router.post("/orders/{order_id}/claim-prize")
def claim_prize(order_id: RowId, user: CurrentUser, session: DbSession) -> OrderOut:
    return service.order_out(session, draws.claim_prize(session, user=user, order_id=order_id))
