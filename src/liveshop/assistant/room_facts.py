"""A room's knowledge read from the database at the moment of answering: its shelf
(prices and stock as the catalogue has them now), the pinned product, the shop's
FAQ and the host's earlier answers in the questions queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge, SkuFact
from liveshop.assistant.models import AssistantReply, FaqEntry
from liveshop.catalog.models import Shop
from liveshop.catalog.shops import shop_of
from liveshop.live import shelf
from liveshop.live.models import Question, QuestionStatus, Room
from liveshop.live.service import get_room

HOST_ANSWERS = 200  # the most recent ones are enough, and keep the index small


def room_shop(session: Session, room: Room) -> Shop | None:
    host = session.get(User, room.host_id)
    return shop_of(session, user=host) if host is not None else None


def load_knowledge(session: Session, *, room_id: int) -> RoomKnowledge:
    room = get_room(session, room_id=room_id)
    shop = room_shop(session, room)
    pinned_id = (room.pinned or {}).get("product_id")
    products = tuple(
        ProductFact(
            key=str(product.id),
            title=product.title,
            category=product.category,
            brand=product.brand,
            attributes=dict(product.attributes),
            skus=tuple(
                SkuFact(
                    options={str(k): str(v) for k, v in sku.options.items()},
                    price=sku.price,
                    stock=sku.stock,
                )
                for sku in product.skus
            ),
            currency=product.currency,
            pinned=product.id == pinned_id,
        )
        for product in shelf.shelf(session, room_id=room_id)
    )
    faq: tuple[FaqFact, ...] = ()
    if shop is not None:
        faq = tuple(
            FaqFact(str(entry.id), entry.question, entry.answer)
            for entry in session.scalars(
                select(FaqEntry).where(FaqEntry.shop_id == shop.id).order_by(FaqEntry.id)
            )
        )
    return RoomKnowledge(
        shop_name=shop.name if shop else "",
        products=products,
        faq=faq,
        host_answers=host_answers(session, host_id=room.host_id),
    )


def host_answers(session: Session, *, host_id: int) -> tuple[FaqFact, ...]:
    """Questions the host answered in their rooms (not the assistant's own answers)."""
    assistants = select(AssistantReply.question_id).where(
        AssistantReply.question_id.is_not(None), AssistantReply.answered.is_(True)
    )
    rows = session.execute(
        select(Question.id, Question.text, Question.answer)
        .join(Room, Room.id == Question.room_id)
        .where(
            Room.host_id == host_id,
            Question.status == QuestionStatus.ANSWERED,
            Question.answer.is_not(None),
            Question.id.not_in(assistants),
        )
        .order_by(Question.id.desc())
        .limit(HOST_ANSWERS)
    ).all()
    return tuple(FaqFact(str(qid), text, answer or "") for qid, text, answer in rows)
