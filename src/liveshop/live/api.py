"""HTTP routes of the live room: thin, each calls one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.catalog.schemas import ProductOut
from liveshop.core.db import separate_writing_unit
from liveshop.core.dependencies import DbSession, RowId
from liveshop.live import service, shelf, shelf_experiments
from liveshop.live.dependencies import HubDep
from liveshop.live.models import QuestionStatus, RestrictionKind, RoomStatus
from liveshop.live.schemas import (
    AnswerIn,
    CommentOut,
    PinIn,
    QuestionOut,
    RestrictionIn,
    RestrictionOut,
    RoomCreate,
    RoomOut,
    ShelfExperimentIn,
    ShelfExperimentOut,
    ShelfIn,
    TextIn,
)

router = APIRouter(prefix="/api/rooms", tags=["live"])


def _with_live_counters(room: RoomOut, hub: HubDep) -> RoomOut:
    """This worker's live viewer and like counts beat the stored ones (up to 2 s old)."""
    counters = hub.live_counters(room.id)
    if counters is None or room.status is not RoomStatus.LIVE:
        return room
    viewers = counters["viewers"]
    return room.model_copy(
        update={
            "viewers": viewers,
            "peak_viewers": max(room.peak_viewers, viewers),
            "likes": max(room.likes, counters["likes"]),
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_room(body: RoomCreate, user: CurrentUser, session: DbSession) -> RoomOut:
    room = service.create_room(
        session,
        host=user,
        title=body.title,
        description=body.description,
        scheduled_at=body.scheduled_at,
    )
    return service.room_out(session, room)


@router.get("")
def list_rooms(
    session: DbSession,
    hub: HubDep,
    room_status: Annotated[RoomStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RoomOut]:
    rooms = service.list_rooms(session, status=room_status, limit=limit)
    return [_with_live_counters(room, hub) for room in rooms]


@router.get("/{room_id}")
def get_room(room_id: RowId, session: DbSession, hub: HubDep) -> RoomOut:
    room = service.room_out(session, service.get_room(session, room_id=room_id))
    return _with_live_counters(room, hub)


@router.post("/{room_id}/start")
def start_room(room_id: RowId, user: CurrentUser, session: DbSession) -> RoomOut:
    return service.room_out(session, service.start_room(session, actor=user, room_id=room_id))


@router.post("/{room_id}/end")
def end_room(room_id: RowId, user: CurrentUser, session: DbSession) -> RoomOut:
    return service.room_out(session, service.end_room(session, actor=user, room_id=room_id))


@router.put("/{room_id}/pinned")
def pin_product(room_id: RowId, body: PinIn, user: CurrentUser, session: DbSession) -> RoomOut:
    room = shelf.pin_from_shelf(session, actor=user, room_id=room_id, product_id=body.product_id)
    return service.room_out(session, room)


@router.delete("/{room_id}/pinned")
def unpin_product(room_id: RowId, user: CurrentUser, session: DbSession) -> RoomOut:
    room = service.unpin_product(session, actor=user, room_id=room_id)
    return service.room_out(session, room)


@router.post("/{room_id}/announcements", status_code=status.HTTP_201_CREATED)
def post_announcement(
    room_id: RowId, body: TextIn, user: CurrentUser, session: DbSession
) -> CommentOut:
    return service.post_announcement(session, actor=user, room_id=room_id, text=body.text)


@router.post("/{room_id}/mutes", status_code=status.HTTP_201_CREATED)
def mute_viewer(
    room_id: RowId, body: RestrictionIn, user: CurrentUser, session: DbSession
) -> RestrictionOut:
    return service.restrict_viewer(
        session,
        actor=user,
        room_id=room_id,
        user_id=body.user_id,
        kind=RestrictionKind.MUTE,
        minutes=body.minutes,
    )


@router.post("/{room_id}/kicks", status_code=status.HTTP_201_CREATED)
def kick_viewer(
    room_id: RowId, body: RestrictionIn, user: CurrentUser, session: DbSession
) -> RestrictionOut:
    return service.restrict_viewer(
        session,
        actor=user,
        room_id=room_id,
        user_id=body.user_id,
        kind=RestrictionKind.KICK,
        minutes=body.minutes,
    )


@router.get("/{room_id}/comments")
def list_comments(
    room_id: RowId,
    session: DbSession,
    after_id: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CommentOut]:
    return service.list_comments(session, room_id=room_id, after_id=after_id, limit=limit)


@router.get("/{room_id}/questions")
def list_questions(
    room_id: RowId,
    session: DbSession,
    question_status: Annotated[QuestionStatus | None, Query(alias="status")] = None,
) -> list[QuestionOut]:
    return service.list_questions(session, room_id=room_id, status=question_status)


@router.post("/{room_id}/questions", status_code=status.HTTP_201_CREATED)
def ask_question(
    room_id: RowId, body: TextIn, user: CurrentUser, session: DbSession
) -> QuestionOut:
    return service.ask_question(session, user=user, room_id=room_id, text=body.text)


@router.post("/{room_id}/questions/{question_id}/upvote")
def upvote_question(
    room_id: RowId, question_id: RowId, user: CurrentUser, session: DbSession
) -> QuestionOut:
    return service.upvote_question(session, user=user, room_id=room_id, question_id=question_id)


@router.post("/{room_id}/questions/{question_id}/answer")
def answer_question(
    room_id: RowId, question_id: RowId, body: AnswerIn, user: CurrentUser, session: DbSession
) -> QuestionOut:
    return service.answer_question(
        session, actor=user, room_id=room_id, question_id=question_id, answer=body.answer
    )


@router.put("/{room_id}/questions/{question_id}/pinned")
def pin_question(
    room_id: RowId, question_id: RowId, user: CurrentUser, session: DbSession
) -> QuestionOut:
    return service.pin_question(session, actor=user, room_id=room_id, question_id=question_id)


@router.delete("/{room_id}/questions/{question_id}/pinned")
def unpin_question(
    room_id: RowId, question_id: RowId, user: CurrentUser, session: DbSession
) -> QuestionOut:
    return service.pin_question(
        session, actor=user, room_id=room_id, question_id=question_id, pinned=False
    )


@router.put("/{room_id}/shelf")
def set_shelf(
    room_id: RowId, body: ShelfIn, user: CurrentUser, session: DbSession
) -> list[ProductOut]:
    """Replace the room's shelf (购物袋) with these products, in this order."""
    shelf.set_shelf(session, actor=user, room_id=room_id, product_ids=body.product_ids)
    return shelf.shelf(session, room_id=room_id)


@router.get("/{room_id}/shelf")
def get_shelf(room_id: RowId, user: OptionalUser, session: DbSession) -> list[ProductOut]:
    """In the host's order; when the order is A/B tested, a signed-in viewer's variant's
    lead product comes first (the first call logging the exposure)."""
    if user is None or not shelf_experiments.is_tested(session, room_id=room_id):
        return shelf.shelf(session, room_id=room_id)
    with separate_writing_unit(session) as writer:  # a GET that logs its exposure
        return shelf_experiments.shelf_for(writer, room_id=room_id, viewer=user)


@router.post("/{room_id}/shelf-experiment", status_code=status.HTTP_201_CREATED)
def attach_shelf_experiment(
    room_id: RowId, body: ShelfExperimentIn, user: CurrentUser, session: DbSession
) -> ShelfExperimentOut:
    """A/B test the shelf's order: the room's host, with an experiment of the shop they
    act for and each variant's lead product (the shop's, on this shelf)."""
    return shelf_experiments.attach_shelf_experiment(
        session, actor=user, room_id=room_id, body=body
    )


@router.get("/{room_id}/shelf-experiment")
def shelf_experiment(room_id: RowId, user: CurrentUser, session: DbSession) -> ShelfExperimentOut:
    """The experiment attached to the shelf's order (the room's host; 404 when none)."""
    return shelf_experiments.attached_shelf_experiment(session, actor=user, room_id=room_id)


@router.put("/{room_id}/shelf-experiment")
def change_shelf_experiment(
    room_id: RowId, body: ShelfExperimentIn, user: CurrentUser, session: DbSession
) -> ShelfExperimentOut:
    """Attach, or change the leads or the experiment, while no viewer has been shown a
    variant of the one attached (409 ``experiment_exposed`` after)."""
    return shelf_experiments.change_shelf_experiment(
        session, actor=user, room_id=room_id, body=body
    )


@router.delete("/{room_id}/shelf-experiment", status_code=status.HTTP_204_NO_CONTENT)
def detach_shelf_experiment(room_id: RowId, user: CurrentUser, session: DbSession) -> None:
    """The host's order for everyone again, while no viewer has been shown a variant."""
    shelf_experiments.detach_shelf_experiment(session, actor=user, room_id=room_id)
