"""The assistant on the database: answers read the catalogue now, the host gets the
rest, the moderator's switch, the host's correction becomes the FAQ."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.assistant import service
from liveshop.assistant.models import AssistantReply, FaqEntry, FaqSource
from liveshop.assistant.schemas import FaqIn
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductPatch, SkuPatch
from liveshop.core.db import unit_of_work
from liveshop.core.errors import PermissionDenied
from liveshop.live.models import Question, QuestionStatus
from tests.search.helpers import World, add_user, make_world


@pytest.fixture
def world(database_url: str) -> World:
    return make_world(database_url, index=False)


def ask(url: str, world: World, text: str, user_id: int | None = None) -> service.ChatAnswer | None:
    viewer_id = user_id if user_id is not None else world.host.id
    with unit_of_work(url) as session:
        return service.answer_chat_line(
            session, room_id=world.room_id, comment_id=1, user_id=viewer_id, text=text
        )


def test_price_comes_from_the_catalogue_at_the_moment_of_answering(
    database_url: str, world: World
) -> None:
    first = ask(database_url, world, "连衣裙多少钱")
    assert first is not None
    assert first.answered
    assert first.text == "法式长款连衣裙现价 ¥299"
    assert first.cite == "法式长款连衣裙 · 当前价格"
    with unit_of_work(database_url) as session:
        merchant = session.merge(world.merchant)
        product_id = world.products["long_dress"]
        [sku] = catalog.skus_of(session, product_id=product_id)
        catalog.update_product(
            session,
            merchant=merchant,
            product_id=product_id,
            patch=ProductPatch(skus=[SkuPatch(id=sku.id, price=25900)]),
        )
    second = ask(database_url, world, "连衣裙多少钱")
    assert second is not None
    assert second.text == "法式长款连衣裙现价 ¥259"
    assert ask(database_url, world, "666 主播好美") is None  # not a question


def test_a_question_outside_the_facts_is_queued_for_the_host(
    database_url: str, world: World
) -> None:
    viewer = add_user(database_url, "viewer_qi", Role.VIEWER)
    answer = ask(database_url, world, "主播明天几点开播？", user_id=viewer.id)
    assert answer is not None
    assert not answer.answered
    assert answer.text is None
    with unit_of_work(database_url) as session:
        reply = session.scalars(select(AssistantReply)).one()
        question = session.get(Question, reply.question_id)
        assert question is not None
        assert (question.text, question.user_id, question.status) == (
            "主播明天几点开播？",
            viewer.id,
            QuestionStatus.OPEN,
        )


def test_a_moderator_turns_it_off_and_only_a_moderator_may(database_url: str, world: World) -> None:
    moderator = add_user(database_url, "mod_ma", Role.MODERATOR)
    with unit_of_work(database_url) as session, pytest.raises(PermissionDenied):
        service.switch_assistant(
            session, actor=session.merge(world.host), room_id=world.room_id, enabled=False
        )
    assert ask(database_url, world, "连衣裙多少钱") is not None
    with unit_of_work(database_url) as session:
        service.switch_assistant(
            session, actor=session.merge(moderator), room_id=world.room_id, enabled=False
        )
    assert ask(database_url, world, "连衣裙多少钱") is None


def test_faq_answers_and_the_hosts_correction_becomes_an_entry(
    database_url: str, world: World
) -> None:
    with unit_of_work(database_url) as session:
        service.replace_faq(
            session,
            actor=session.merge(world.merchant),
            entries=[FaqIn(question="什么时候发货 发什么快递", answer="48小时内发中通")],
        )
    shipped = ask(database_url, world, "几天发货啊")
    assert shipped is not None
    assert shipped.answered
    assert shipped.text == "48小时内发中通"
    with unit_of_work(database_url) as session:
        reply_id = session.scalars(select(AssistantReply.id)).one()
        entry = service.correct_reply(
            session,
            actor=session.merge(world.host),
            room_id=world.room_id,
            reply_id=reply_id,
            answer="今天下单明天发顺丰",
        )
    with unit_of_work(database_url) as session:
        stored = session.get(FaqEntry, entry.id)
        assert stored is not None
        assert stored.source is FaqSource.HOST_CORRECTION
        assert stored.question == "几天发货啊"
    again = ask(database_url, world, "几天发货啊")
    assert again is not None
    assert again.text == "今天下单明天发顺丰"
