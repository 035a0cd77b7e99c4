"""The assistant's routes: the moderator's switch, the host's view and correction,
the merchant's FAQ."""

from __future__ import annotations

from fastapi import APIRouter, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.assistant import insights, service
from liveshop.assistant.schemas import CorrectionIn, FaqListIn, FaqOut, RoomAssistantOut, SwitchIn
from liveshop.core.dependencies import DbSession, RowId

router = APIRouter(tags=["assistant"])


@router.get("/api/rooms/{room_id}/assistant", response_model=RoomAssistantOut)
def room_assistant(room_id: RowId, user: CurrentUser, session: DbSession) -> RoomAssistantOut:
    """For the host's console: the assistant's latest replies (answered, or queued with a
    suggestion) and the chat's insights (grouped questions, buying intent, last minute)."""
    replies = service.recent_replies(session, actor=user, room_id=room_id)
    return RoomAssistantOut(
        room_id=room_id,
        enabled=service.is_enabled(session, room_id=room_id),
        replies=replies,
        insights=insights.room_insights(room_id),
    )


@router.put("/api/rooms/{room_id}/assistant", status_code=status.HTTP_204_NO_CONTENT)
def switch_assistant(room_id: RowId, body: SwitchIn, user: CurrentUser, session: DbSession) -> None:
    service.switch_assistant(session, actor=user, room_id=room_id, enabled=body.enabled)


@router.post(
    "/api/rooms/{room_id}/assistant/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=FaqOut,
)
def correct_reply(
    room_id: RowId, body: CorrectionIn, user: CurrentUser, session: DbSession
) -> FaqOut:
    """The host's correction of an answer: announced in the room, and the shop's FAQ
    answers that question so from now on."""
    return service.correct_reply(
        session, actor=user, room_id=room_id, reply_id=body.reply_id, answer=body.answer
    )


@router.get("/api/shops/mine/faq", response_model=list[FaqOut])
def shop_faq(user: CurrentUser, session: DbSession) -> list[FaqOut]:
    return service.shop_faq(session, actor=user)


@router.put("/api/shops/mine/faq", response_model=list[FaqOut])
def replace_faq(body: FaqListIn, user: CurrentUser, session: DbSession) -> list[FaqOut]:
    return service.replace_faq(session, actor=user, entries=body.entries)
