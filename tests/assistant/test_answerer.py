"""The assistant's reading of questions, offline: classifier, answers, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liveshop.assistant.answerer import RoomAnswerer
from liveshop.assistant.classifier import is_question
from liveshop.assistant.evaluation import load_fixture
from liveshop.assistant.knowledge import ProductFact, RoomKnowledge, SkuFact
from liveshop.cli import app

DATA = Path(__file__).parents[2] / "src/liveshop/assistant/data/evaluation"


def test_questions_are_told_from_chatter_without_a_question_mark() -> None:
    assert [is_question(line) for line in ("M码还有吗", "发顺丰不", "怎么买", "蓝色的有没")] == [
        True,
        True,
        True,
        True,
    ]
    assert [is_question(line) for line in ("666", "主播好美", "下单了", "冲冲冲", "已拍")] == [
        False,
        False,
        False,
        False,
        False,
    ]


def knowledge(stock: int = 3, price: int = 15900) -> RoomKnowledge:
    dress = ProductFact(
        key="7",
        title="碎花连衣裙",
        attributes={"材质": "纯棉"},
        skus=(SkuFact({"尺码": "M"}, price, stock), SkuFact({"尺码": "L"}, price, 0)),
        pinned=True,
    )
    return RoomKnowledge(shop_name="轻语", products=(dress,))


def test_price_and_stock_are_read_from_the_facts_given_at_answer_time() -> None:
    answer = RoomAnswerer(knowledge(price=12900)).decide("连衣裙多少钱")
    assert (answer.answered, answer.fact, answer.answer) == (True, "7.price", "碎花连衣裙现价 ¥129")
    sold_out = RoomAnswerer(knowledge(stock=0)).decide("m码还有吗")
    assert (sold_out.fact, sold_out.answer) == ("7.stock", "碎花连衣裙：M 已售罄")
    left = RoomAnswerer(knowledge(stock=4)).decide("M码还有货吗")
    assert left.answer == "碎花连衣裙：M 还有 4 件"


def test_what_the_facts_do_not_say_goes_to_the_host() -> None:
    answerer = RoomAnswerer(knowledge())
    for question in ("主播多高", "能便宜点吗", "有没有蚕丝被", "XXL码还有吗", "保修多久"):
        decision = answerer.decide(question)
        assert (question, decision.answered, decision.fact) == (question, False, "host")
    material = answerer.decide("什么面料")
    assert (material.fact, material.answer) == ("7.attributes.材质", "碎花连衣裙的材质：纯棉")


def test_fixtures_load_with_every_field() -> None:
    shop = load_fixture(DATA / "clothing.json")
    assert shop.shop_name == "轻语女装"
    assert [product.key for product in shop.products] == ["dress", "tee", "jeans"]
    assert shop.pinned() is not None
    assert shop.pinned().key == "dress"
    assert [entry.key for entry in shop.faq] == ["ship", "freight", "returns", "coupon"]


def test_the_evaluate_command_prints_both_methods_as_json() -> None:
    result = CliRunner().invoke(
        app, ["assistant", "evaluate", str(DATA / "holdout.csv"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["assistant"]["questions"] == 101
    assert report["keyword_baseline"]["questions"] == 101
    # the assistant says less, and is wrong far less often, than keyword search
    assert (
        report["assistant"]["wrong_answer_rate"] < report["keyword_baseline"]["wrong_answer_rate"]
    )
    assert report["assistant"]["accuracy"] > report["keyword_baseline"]["accuracy"]
    # the goals, on questions not used for tuning
    assert report["assistant"]["share_answered"] >= 0.70
    assert report["assistant"]["wrong_answer_rate"] < 0.02
