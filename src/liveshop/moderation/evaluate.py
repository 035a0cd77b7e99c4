"""Precision and recall per category on a labelled corpus.

The corpus is a CSV with columns ``text`` and ``label``: ``clean`` (or empty)
for a text that breaks nothing, otherwise one or more categories joined by
``|``. An optional ``surface`` column says where the text appears (default:
the surface passed in), since seller-only categories never fire on comments.
A category counts as predicted when the verdict lists it, whatever the action.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from liveshop.moderation.engine import Moderator
from liveshop.moderation.lists import Action, Surface

CLEAN = "clean"
ANY_VIOLATION = "any"  # the row for "flagged at all" against "labelled as breaking something"


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    labels: frozenset[str]
    surface: Surface


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.support if self.support else None

    def as_json(self) -> dict[str, object]:
        return {
            "category": self.category,
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "support": self.support,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }


@dataclass(frozen=True, slots=True)
class Mistake:
    text: str
    expected: frozenset[str]
    predicted: frozenset[str]


@dataclass(frozen=True, slots=True)
class Evaluation:
    examples: int
    scores: tuple[CategoryScore, ...]
    mistakes: tuple[Mistake, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "examples": self.examples,
            "scores": [score.as_json() for score in self.scores],
            "mistakes": [
                {
                    "text": mistake.text,
                    "expected": sorted(mistake.expected),
                    "predicted": sorted(mistake.predicted),
                }
                for mistake in self.mistakes
            ],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def read_labelled(path: Path, *, default_surface: Surface = Surface.COMMENT) -> list[LabelledText]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            LabelledText(
                text=row["text"],
                labels=_labels(row["label"]),
                surface=Surface(row.get("surface") or default_surface),
            )
            for row in csv.DictReader(file)
        ]


def _labels(cell: str) -> frozenset[str]:
    labels = {label.strip() for label in cell.split("|")}
    return frozenset(labels - {"", CLEAN})


def evaluate(moderator: Moderator, examples: Sequence[LabelledText]) -> Evaluation:
    """Score the moderator on every example, one row per category plus ``any``."""
    categories = sorted(moderator.engine.lists.policies)
    counts = {category: [0, 0, 0] for category in [*categories, ANY_VIOLATION]}
    mistakes = []
    for example in examples:
        verdict = moderator.moderate(example.text, surface=example.surface)
        predicted = frozenset(verdict.categories)
        for category in categories:
            _count(counts[category], category in predicted, category in example.labels)
        flagged = verdict.action is not Action.ALLOW
        _count(counts[ANY_VIOLATION], flagged, bool(example.labels))
        if predicted != example.labels:
            mistakes.append(Mistake(example.text, example.labels, predicted))
    scores = tuple(CategoryScore(category, *counted) for category, counted in counts.items())
    return Evaluation(len(examples), scores, tuple(mistakes))


def _count(counted: list[int], predicted: bool, expected: bool) -> None:
    """Add one example to [true positives, false positives, false negatives]."""
    if predicted and expected:
        counted[0] += 1
    elif predicted:
        counted[1] += 1
    elif expected:
        counted[2] += 1
