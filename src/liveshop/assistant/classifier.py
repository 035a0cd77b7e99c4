"""Is a chat line a question? A small model trained on shipped chat lines, plus rules.

The model (character 1-3-grams, TF-IDF, logistic regression) is trained once per
process from ``data/chat_lines.tsv`` (about 260 labelled lines, a few tens of
milliseconds); the rules catch what it may not have seen: interrogative
particles and words (吗 呢 多少 几 怎么 有没有 啥 ?) and English question words.
A line is a question when the rules say so or the model is confident.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

from liveshop.assistant.lexicon import INTERROGATIVES
from liveshop.search.text import normalise

MODEL_THRESHOLD = 0.6  # the model alone must be fairly sure (rules catch the rest)
MAX_QUESTION_LENGTH = 120  # a longer line is a review or a story, not a quick question

_model: Any = None  # a fitted sklearn Pipeline
_lock = threading.Lock()


def labelled_lines() -> list[tuple[str, bool]]:
    text = resources.files("liveshop.assistant").joinpath("data/chat_lines.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return [(row["text"], row["label"] == "question") for row in rows]


def train(lines: list[tuple[str, bool]]) -> Any:
    """A fitted pipeline (scikit-learn is imported here: the app starts without it)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]

    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced"),
    )
    model.fit([normalise(text) for text, _ in lines], [label for _, label in lines])
    return model


def model() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = train(labelled_lines())
    return _model


@dataclass(frozen=True)
class Reading:
    is_question: bool
    probability: float  # the model's
    by_rule: bool


def read_line(text: str) -> Reading:
    normal = normalise(text).strip()
    if not normal or len(normal) > MAX_QUESTION_LENGTH:
        return Reading(is_question=False, probability=0.0, by_rule=False)
    probability = float(model().predict_proba([normal])[0][1])
    by_rule = INTERROGATIVES.search(normal) is not None
    return Reading(
        is_question=by_rule or probability >= MODEL_THRESHOLD,
        probability=probability,
        by_rule=by_rule,
    )


def is_question(text: str) -> bool:
    return read_line(text).is_question
