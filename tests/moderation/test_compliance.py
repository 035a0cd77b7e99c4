"""Advertising-law checks: absolute terms, medical claims, was prices, exemptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from liveshop.moderation.compliance import (
    FALSE_PRICE_RULE,
    REFERENCE_PRICE_RULE,
    Exemption,
    PricePoint,
    check_copy,
)
from liveshop.moderation.lists import Action

SALE_DAY = dt.date(2026, 11, 25)
HISTORY = [
    PricePoint(dt.date(2026, 10, 1), 39900),
    PricePoint(dt.date(2026, 11, 20), 29900),
    PricePoint(dt.date(2026, 11, 24), 25900),
]


def summary(
    text: str, registered_names: Sequence[str] = ()
) -> tuple[str, list[tuple[object, ...]]]:
    report = check_copy(text, registered_names=registered_names)
    return report.action.value, [
        (finding.term, finding.category, finding.start, finding.end, finding.action.value,
         finding.exemption)
        for finding in report.findings
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全网最低价", ("block", [("最低价", "superlative", 2, 5, "block", None)])),
        ("最 佳 选择", ("block", [("最佳", "superlative", 0, 3, "block", None)])),
        ("最@佳选择", ("block", [("最佳", "superlative", 0, 3, "block", None)])),
        ("NO.1 蓝牙耳机", ("block", [("no.1", "ranking", 0, 4, "block", None)])),
        ("国家级工艺", ("block", [("国家级", "authority", 0, 3, "block", None)])),
        ("顶级和牛", ("block", [("顶级", "top_grade", 0, 2, "block", None)])),
        ("首选好礼", ("block", [("首选", "preference", 0, 2, "block", None)])),
        ("独家特供", ("block", [("独家", "exclusivity", 0, 2, "block", None),
                                ("特供", "exclusivity", 2, 4, "block", None)])),
        ("100％纯棉", ("block", [("100%", "certainty", 0, 4, "block", None)])),
        ("永久保修", ("block", [("永久", "certainty", 0, 2, "block", None)])),
        ("仅此一次，马上涨价", ("block", [("仅此一次", "urgency", 0, 4, "block", None),
                                      ("马上涨价", "urgency", 5, 9, "block", None)])),
        ("根治失眠", ("block", [("根治", "medical", 0, 2, "block", None),
                            ("治失眠", "medical", 1, 4, "block", None)])),
        ("三天见效减肥茶", ("block", [("三天见效", "efficacy", 0, 4, "block", None),
                                  ("减肥", "efficacy", 4, 6, "block", None)])),
        ("纯棉短袖 100克", ("allow", [])),
        ("这款真不错", ("allow", [])),
    ],
)  # fmt: skip
def test_findings(text: str, expected: tuple[str, list[tuple[object, ...]]]) -> None:
    assert summary(text) == expected


@pytest.mark.parametrize(
    ("text", "term", "exemption"),
    [
        ("最佳赏味期 30 天", "最佳", Exemption.CONSUMER_TIP),
        ("一级能效空调", "一级", Exemption.STANDARD_GRADE),
        ("特级初榨橄榄油", "特级", Exemption.STANDARD_GRADE),
        ("本店最新款连衣裙", "最新", Exemption.SELF_COMPARISON),
    ],
)
def test_context_exemptions_go_to_review(text: str, term: str, exemption: Exemption) -> None:
    report = check_copy(text)
    assert report.action is Action.REVIEW
    assert [(f.term, f.action, f.exemption) for f in report.findings] == [
        (term, Action.REVIEW, exemption)
    ]


def test_a_registered_brand_name_goes_to_review_and_the_rest_is_still_blocked() -> None:
    assert summary("至尊披萨 最好吃", registered_names=["至尊披萨"]) == (
        "block",
        [
            ("至尊", "top_grade", 0, 2, "review", Exemption.BRAND_NAME),
            ("最好", "superlative", 5, 7, "block", None),
        ],
    )


def test_a_finding_carries_rule_severity_and_suggestion() -> None:
    assert check_copy("顶级 根治").as_json()["findings"] == [
        {
            "term": "顶级",
            "category": "top_grade",
            "position": {"start": 0, "end": 2},
            "rule": "《广告法》第九条第三项：不得使用“国家级”“最高级”“最佳”等用语",
            "severity": "high",
            "suggestion": "删除等级夸大用语，改为“优选”“精选”或标准等级的全称",
            "action": "block",
            "exemption": None,
        },
        {
            "term": "根治",
            "category": "medical",
            "position": {"start": 3, "end": 5},
            "rule": "《广告法》第十七条：除医疗、药品、医疗器械广告外，不得涉及疾病治疗功能，"
            "不得使用医疗用语",
            "severity": "high",
            "suggestion": "普通商品不得宣称治疗功能，删除疾病和医疗用语",
            "action": "block",
            "exemption": None,
        },
    ]


def was_price(text: str) -> list[tuple[str, str, str]]:
    report = check_copy(text, price_history=HISTORY, today=SALE_DAY)
    return [(f.term, f.rule, f.action.value) for f in report.findings]


def test_a_was_price_never_charged_is_blocked() -> None:
    assert was_price("原价：¥599，现在199") == [("原价：¥599", FALSE_PRICE_RULE, "block")]


def test_a_was_price_above_the_lowest_of_the_week_before_is_held() -> None:
    assert was_price("原价299元 今天199") == [("原价299元", REFERENCE_PRICE_RULE, "review")]


def test_a_was_price_charged_at_the_lowest_of_the_week_passes() -> None:
    assert was_price("划线价259.00") == []


def test_without_a_week_of_sales_the_last_price_before_is_the_reference() -> None:
    history = [PricePoint(dt.date(2026, 9, 1), 39900), PricePoint(dt.date(2026, 10, 1), 35900)]
    report = check_copy("原价359", price_history=history, today=SALE_DAY)
    assert report.findings == ()
    report = check_copy("原价399", price_history=history, today=SALE_DAY)
    assert [(f.rule, f.action) for f in report.findings] == [(REFERENCE_PRICE_RULE, Action.REVIEW)]


def test_a_was_price_without_history_cannot_be_verified() -> None:
    assert [(f.rule, f.action) for f in check_copy("原价399").findings] == [
        (REFERENCE_PRICE_RULE, Action.REVIEW)
    ]
