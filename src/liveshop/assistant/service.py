"""The assistant's use cases: answer a chat question (or queue it for the host), the
moderator's switch, the host's correction (which becomes a FAQ entry), the FAQ."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.assistant import access
from liveshop.assistant.answerer import RoomAnswerer
from liveshop.assistant.classifier import read_line
from liveshop.assistant.knowledge import RoomKnowledge
from liveshop.assistant.models import AssistantReply, FaqEntry, FaqSource, RoomAssistant
from liveshop.assistant.room_facts import load_knowledge, room_shop
from liveshop.assistant.schemas import FaqIn, FaqOut, ReplyOut
from liveshop.catalog.shops import shop_of
from liveshop.core.clock import utcnow
from liveshop.core.errors import LiveShopError, NotFound
from liveshop.live import service as live
from liveshop.live.models import Room

RECENT_REPLIES = 50


@dataclass(frozen=True)
class ChatAnswer:
    reply_id: int
    answered: bool
    text: str | None  # what the assistant says in the room
    cite: str
    shop_name: str


def is_enabled(session: Session, *, room_id: int) -> bool:
    switch = session.get(RoomAssistant, room_id)
    return switch is None or switch.enabled


def cite(knowledge: RoomKnowledge, fact: str) -> str:
    """The fact an answer used, as viewers read it."""
    if fact.startswith("faq:"):
        return "店铺常见问题"
    if fact.startswith("qa:"):
        return "主播此前的回答"
    key, _, field = fact.partition(".")
    product = knowledge.product(key)
    title = product.title if product else "商品"
    names = {"price": "当前价格", "stock": "当前库存", "brand": "品牌"}
    return f"{title} · {names.get(field, field.removeprefix('attributes.'))}"


def answer_chat_line(
    session: Session, *, room_id: int, comment_id: int, user_id: int | None, text: str
) -> ChatAnswer | None:
    """Answer a chat line that is a question, from the room's facts as they are now;
    one the facts do not answer goes to the questions queue with a suggestion."""
    if not is_enabled(session, room_id=room_id) or not read_line(text).is_question:
        return None
    knowledge = load_knowledge(session, room_id=room_id)
    decision = RoomAnswerer(knowledge).decide(text)
    reply = AssistantReply(
        room_id=room_id,
        comment_id=comment_id,
        text=text[:500],
        answered=decision.answered,
        fact=decision.fact,
        answer=decision.answer if decision.answered else None,
        suggestion=None if decision.answered else decision.answer,
        confidence=decision.confidence,
    )
    if not decision.answered and user_id is not None:
        asker = session.get(User, user_id)
        try:
            with session.begin_nested():
                if asker is not None:
                    queued = live.ask_question(session, user=asker, room_id=room_id, text=text)
                    reply.question_id = queued.id
        except LiveShopError:
            pass  # the room ended or the viewer was muted meanwhile: nothing to queue
    session.add(reply)
    session.flush()
    return ChatAnswer(
        reply_id=reply.id,
        answered=decision.answered,
        text=decision.answer if decision.answered else None,
        cite=cite(knowledge, decision.fact),
        shop_name=knowledge.shop_name,
    )


def switch_assistant(session: Session, *, actor: User, room_id: int, enabled: bool) -> None:
    access.require_assistant_switcher(actor)
    live.get_room(session, room_id=room_id)
    switch = session.get(RoomAssistant, room_id)
    if switch is None:
        session.add(RoomAssistant(room_id=room_id, enabled=enabled, changed_by=actor.id))
    else:
        switch.enabled, switch.changed_by, switch.changed_at = enabled, actor.id, utcnow()
    session.flush()


def _reply_out(reply: AssistantReply) -> ReplyOut:
    return ReplyOut(
        id=reply.id,
        text=reply.text,
        answered=reply.answered,
        fact=reply.fact,
        answer=reply.answer,
        suggestion=reply.suggestion,
        confidence=round(reply.confidence, 3),
        question_id=reply.question_id,
        corrected_faq_id=reply.corrected_faq_id,
        created_at=reply.created_at,
    )


def readable_room(session: Session, *, actor: User, room_id: int) -> Room:
    room = live.get_room(session, room_id=room_id)
    access.require_room_assistant_reader(actor, room=room)
    return room


def recent_replies(session: Session, *, actor: User, room_id: int) -> list[ReplyOut]:
    readable_room(session, actor=actor, room_id=room_id)
    replies = session.scalars(
        select(AssistantReply)
        .where(AssistantReply.room_id == room_id)
        .order_by(AssistantReply.id.desc())
        .limit(RECENT_REPLIES)
    )
    return [_reply_out(reply) for reply in replies]


def correct_reply(
    session: Session, *, actor: User, room_id: int, reply_id: int, answer: str
) -> FaqOut:
    """The host corrects an answer: the correction becomes the shop's FAQ entry for
    that question (so the assistant answers it so from now on) and is announced."""
    room = live.controlled_room(session, actor=actor, room_id=room_id)
    reply = session.get(AssistantReply, reply_id)
    if reply is None or reply.room_id != room_id:
        raise NotFound(f"reply {reply_id} not found in room {room_id}", code="reply_not_found")
    shop = room_shop(session, room)
    if shop is None:
        raise NotFound("the room's host acts for no shop", code="shop_not_found")
    entry = FaqEntry(
        shop_id=shop.id,
        question=reply.text[:300],
        answer=answer,
        source=FaqSource.HOST_CORRECTION,
        created_by=actor.id,
    )
    session.add(entry)
    session.flush()
    reply.corrected_faq_id = entry.id
    live.post_announcement(session, actor=actor, room_id=room_id, text=f"更正：{answer}"[:300])
    return FaqOut(id=entry.id, question=entry.question, answer=entry.answer, source=entry.source)


def shop_faq(session: Session, *, actor: User) -> list[FaqOut]:
    shop = access.require_faq_editor(session, actor=actor, shop=shop_of(session, user=actor))
    return [
        FaqOut(id=entry.id, question=entry.question, answer=entry.answer, source=entry.source)
        for entry in session.scalars(
            select(FaqEntry).where(FaqEntry.shop_id == shop.id).order_by(FaqEntry.id)
        )
    ]


def replace_faq(session: Session, *, actor: User, entries: list[FaqIn]) -> list[FaqOut]:
    """The shop's FAQ becomes these entries, in this order (one transaction)."""
    shop = access.require_faq_editor(session, actor=actor, shop=shop_of(session, user=actor))
    session.execute(delete(FaqEntry).where(FaqEntry.shop_id == shop.id))
    session.add_all(
        FaqEntry(
            shop_id=shop.id,
            question=entry.question,
            answer=entry.answer,
            source=FaqSource.MERCHANT,
            created_by=actor.id,
        )
        for entry in entries
    )
    session.flush()
    return shop_faq(session, actor=actor)
