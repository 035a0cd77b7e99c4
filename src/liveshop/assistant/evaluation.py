"""``liveshop assistant evaluate``: a labelled set of questions, beside keyword search.

The CSV has the columns ``room_fixture, question, expected_fact``; each fixture
is ``<room_fixture>.json`` beside it: a shop (``shop``), its products (``key``,
``title``, ``category``, ``brand``, ``attributes``, ``skus`` with ``options``,
``price`` in minor units and ``stock``, ``pinned``), its FAQ (``id``,
``question``, ``answer``) and the host's earlier answers (``host_answers``, same
shape). ``expected_fact`` is ``<product key>.price``, ``.stock``, ``.brand``,
``.attributes.<name>``, ``faq:<id>``, ``qa:<id>``, or ``host``.

Scores: an answer is right when it cites the expected fact; a question the
assistant passes to the host is right when the expected fact is ``host``.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liveshop.assistant.answerer import HOST, Decision, RoomAnswerer, product_fact
from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge, SkuFact
from liveshop.assistant.question_reading import document_tokens
from liveshop.assistant.retrieval import FactIndex


def load_fixture(path: Path) -> RoomKnowledge:
    raw = json.loads(path.read_text(encoding="utf-8"))
    products = tuple(
        ProductFact(
            key=str(item["key"]),
            title=item["title"],
            category=item.get("category", ""),
            brand=item.get("brand", ""),
            attributes={str(k): str(v) for k, v in item.get("attributes", {}).items()},
            skus=tuple(
                SkuFact(
                    options={str(k): str(v) for k, v in sku.get("options", {}).items()},
                    price=int(sku["price"]),
                    stock=int(sku["stock"]),
                )
                for sku in item.get("skus", [])
            ),
            pinned=bool(item.get("pinned", False)),
        )
        for item in raw.get("products", [])
    )
    faq = tuple(FaqFact(str(e["id"]), e["question"], e["answer"]) for e in raw.get("faq", []))
    answers = tuple(
        FaqFact(str(e["id"]), e["question"], e["answer"]) for e in raw.get("host_answers", [])
    )
    return RoomKnowledge(
        shop_name=raw.get("shop", ""), products=products, faq=faq, host_answers=answers
    )


class KeywordBaseline:
    """Plain keyword search: the fact sharing the most words with the question (jieba
    words, no pinyin, no typo reading, no thresholds); the host only when none does."""

    def __init__(self, knowledge: RoomKnowledge) -> None:
        self.facts = FactIndex(knowledge)
        self.kind_words = [
            {token for token in kind.tokens if not token.isascii() or len(token) < 2}
            for kind in self.facts.kinds
        ]

    def decide(self, question: str) -> Decision:
        words = set(document_tokens(question))
        overlaps = [len(words & kind) for kind in self.kind_words]
        if not overlaps or max(overlaps) == 0:
            return Decision(False, HOST, None, 0.0, "no shared word")
        kind = self.facts.kinds[overlaps.index(max(overlaps))]
        normal = question.casefold()
        product_words = [set(tokens) for tokens in self.facts.product_tokens]
        shared = [len(words & tokens) for tokens in product_words]
        if kind.key.startswith(("faq:", "qa:")):
            return Decision(True, kind.key, None, 1.0, "keyword")
        product = (
            self.facts.products[shared.index(max(shared))]
            if shared and max(shared) > 0
            else self.facts.knowledge.pinned()
        )
        if product is None:
            return Decision(False, HOST, None, 0.0, "no product")
        fact, _answer = product_fact(product, kind, normal)
        return Decision(True, fact, None, 1.0, "keyword")


@dataclass
class Tally:
    total: int = 0
    answered: int = 0
    right_answers: int = 0
    wrong_answers: int = 0
    host_expected: int = 0
    passed_to_host_rightly: int = 0

    def add(self, expected: str, decision: Decision) -> None:
        self.total += 1
        self.host_expected += expected == HOST
        if decision.answered:
            self.answered += 1
            if decision.fact == expected:
                self.right_answers += 1
            else:
                self.wrong_answers += 1
        elif expected == HOST:
            self.passed_to_host_rightly += 1

    def report(self) -> dict[str, Any]:
        answerable = self.total - self.host_expected
        return {
            "questions": self.total,
            "answerable_from_facts": answerable,
            "answered": self.answered,
            "accuracy": _share(self.right_answers + self.passed_to_host_rightly, self.total),
            "share_answered": _share(self.answered, self.total),
            "share_of_answerable_answered_rightly": _share(self.right_answers, answerable),
            "wrong_answer_rate": _share(self.wrong_answers, self.answered),
            "wrong_answers": self.wrong_answers,
            "host_questions_kept_for_host": _share(self.passed_to_host_rightly, self.host_expected),
        }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def evaluate(csv_path: Path, *, on_row: Callable[[], None] | None = None) -> dict[str, Any]:
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8").splitlines()))
    fixtures: dict[str, RoomKnowledge] = {}
    assistants: dict[str, RoomAnswerer] = {}
    baselines: dict[str, KeywordBaseline] = {}
    assistant, baseline = Tally(), Tally()
    mistakes: list[dict[str, str]] = []
    latencies: list[float] = []
    for row in rows:
        name = row["room_fixture"].strip()
        if name not in fixtures:
            fixtures[name] = load_fixture(csv_path.parent / f"{name}.json")
            assistants[name] = RoomAnswerer(fixtures[name])
            baselines[name] = KeywordBaseline(fixtures[name])
        expected = row["expected_fact"].strip()
        started = time.perf_counter()
        decision = assistants[name].decide(row["question"])
        latencies.append(time.perf_counter() - started)
        assistant.add(expected, decision)
        baseline.add(expected, baselines[name].decide(row["question"]))
        if (decision.answered and decision.fact != expected) or (
            not decision.answered and expected != HOST
        ):
            mistakes.append(
                {
                    "fixture": name,
                    "question": row["question"],
                    "expected": expected,
                    "got": decision.fact,
                    "answered": str(decision.answered),
                    "reason": decision.reason,
                }
            )
        if on_row is not None:
            on_row()
    latencies.sort()
    return {
        "file": csv_path.name,
        "assistant": assistant.report(),
        "keyword_baseline": baseline.report(),
        "p99_decision_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 2)
        if latencies
        else 0.0,
        "misses": mistakes,
    }
