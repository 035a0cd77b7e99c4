"""``liveshop recommend evaluate``: every model and baseline on one split, in one run.

Each model's settings (and whether it may recommend what a user already had)
are chosen on a validation split cut from the training rows by the same rule as
the test split; the held-out rows are only ever used to measure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published

from liveshop.core.errors import InvalidInput
from liveshop.recommend import metrics
from liveshop.recommend.hybrid import (
    Diversifier,
    Hybrid,
    blend,
    penalise_popularity,
    scale_rows,
    scaled_log_popularity,
    search_weights,
)
from liveshop.recommend.interactions import (
    FloatArray,
    IntArray,
    Interactions,
    Split,
    split_by_time,
)
from liveshop.recommend.models import (
    WEIGHTINGS,
    BuyAgain,
    ContentBased,
    DecayedPopularity,
    ImplicitALS,
    ItemCF,
    Model,
    Popularity,
    TrainingSet,
)

BATCH_USERS = 1024  # dense score rows at a time
VALIDATION_USERS = 3000  # tuning ranks at most this many validation users (sampled)
VALIDATION_SEED = 11
BASELINES = ("implicit_als", "popularity", "buy_again")
MODELS = ("item_cf", "content", "popularity_decay", "hybrid")
HYBRID_PARTS = ("implicit_als", "item_cf", "content", "popularity_decay", "buy_again")

DIVERSITY_PENALTIES = (0.0, 0.2, 0.4, 0.5, 0.6)
DIVERSITY_MMR = (0.0, 0.1, 0.2)
DIVERSITY_ALS_WEIGHTS = (1.0, 2.0, 4.0)
# Validation figures above ALS's by these factors, so the held-out test's stay above.
COVERAGE_MARGIN = 1.2
DIVERSITY_MARGIN = 1.005
ACCURACY_MARGIN = 1.02

Step = Callable[[str], None]


@dataclass
class Tuned:
    model: Model
    exclude_seen: bool
    validation_ndcg: float
    validation_scores: FloatArray  # scaled per user, for the hybrid's search
    tuning_seconds: float


@dataclass
class ModelResult:
    name: str
    metrics: metrics.Metrics
    params: dict[str, Any]
    exclude_seen: bool
    fit_seconds: float
    tuning_seconds: float
    lists: IntArray = field(repr=False)


@dataclass
class Evaluation:
    k: int
    split: dict[str, int]
    results: list[ModelResult]
    test_users: IntArray = field(repr=False)

    @property
    def best(self) -> ModelResult:
        return max(self.results, key=lambda result: result.metrics.ndcg)

    def as_dict(self, *, source: str) -> dict[str, Any]:
        return {
            "file": source,
            "k": self.k,
            "split": self.split,
            "best_model": self.best.name,
            "models": {
                result.name: {
                    **result.metrics.as_dict(self.k),
                    "fit_seconds": round(result.fit_seconds, 3),
                    "tuning_seconds": round(result.tuning_seconds, 3),
                    "exclude_seen": result.exclude_seen,
                    "params": result.params,
                }
                for result in self.results
            },
        }


def _batches(users: IntArray) -> Iterator[IntArray]:
    for start in range(0, len(users), BATCH_USERS):
        yield users[start : start + BATCH_USERS]


def _ranked(
    scores: FloatArray,
    users: IntArray,
    seen: sp.csr_matrix,
    *,
    exclude_seen: bool,
    k: int,
    ranker: Diversifier | None = None,
) -> IntArray:
    if exclude_seen:
        scores = scores.copy()
        rows, columns = seen[users].nonzero()
        scores[rows, columns] = -np.inf
    return ranker.rank(scores, k) if ranker else metrics.top_k(scores, k)


def _candidates(name: str, has_attributes: bool) -> list[Model]:
    if name == "popularity":
        return [Popularity()]
    if name == "popularity_decay":
        return [DecayedPopularity(half_life_share=s) for s in (0.02, 0.1, 0.5)]
    if name == "buy_again":
        return [BuyAgain(half_life_share=s) for s in (None, 0.1)]
    if name == "item_cf":
        return [
            ItemCF(neighbours=n, similarity=s)
            for n, s in ((50, "cosine"), (200, "cosine"), (100, "bm25"))
        ]
    if name == "content":
        return [ContentBased(half_life_share=s) for s in (None, 0.2)] if has_attributes else []
    raise ValueError(name)


class Tuner:
    """Fits candidates on the validation training rows and ranks validation users."""

    def __init__(self, data: TrainingSet, users: IntArray, relevant: dict[int, set[int]], k: int):
        self.data, self.users, self.relevant, self.k = data, users, relevant, k

    def ndcg(self, scores: FloatArray, *, exclude_seen: bool) -> float:
        lists = _ranked(scores, self.users, self.data.matrix, exclude_seen=exclude_seen, k=self.k)
        return metrics.ranking_accuracy(lists, self.users, self.relevant, self.k)[2]

    def best_exclusion(self, scores: FloatArray) -> tuple[bool, float]:
        kept, dropped = self.ndcg(scores, exclude_seen=False), self.ndcg(scores, exclude_seen=True)
        return (True, dropped) if dropped > kept else (False, kept)

    def trial(self, model: Model) -> tuple[float, bool, FloatArray]:
        model.fit(self.data)
        scores = model.score(self.users)
        exclude_seen, quality = self.best_exclusion(scores)
        return quality, exclude_seen, scores

    def tune(self, candidates: Sequence[Model]) -> Tuned:
        started = time.perf_counter()
        best: tuple[float, bool, FloatArray, Model] | None = None
        for model in candidates:
            quality, exclude_seen, scores = self.trial(model)
            if best is None or quality > best[0]:
                best = (quality, exclude_seen, scores, model)
        assert best is not None
        quality, exclude_seen, scores, model = best
        return Tuned(
            model, exclude_seen, quality, scale_rows(scores), time.perf_counter() - started
        )

    def lists(
        self, scores: FloatArray, *, exclude_seen: bool, ranker: Diversifier | None = None
    ) -> IntArray:
        return _ranked(
            scores, self.users, self.data.matrix, exclude_seen=exclude_seen, k=self.k, ranker=ranker
        )

    def tune_diversity(
        self, parts: Sequence[FloatArray], weights: list[float], *, reference: Tuned
    ) -> tuple[list[float], bool, float, float]:
        """The most accurate blend, popularity penalty and MMR whose validation lists
        beat ``reference``'s (ALS) on accuracy, coverage and diversity, each by a
        margin so the held-out test agrees; accuracy alone picks the popular head.
        ALS's own weight is one of the levers (it covers the catalogue widely)."""
        measure = partial(
            metrics.measure,
            users=self.users,
            relevant=self.relevant,
            k=self.k,
            train=self.data.matrix,
            unit_vectors=self.data.unit_vectors,
        )
        bar = measure(self.lists(reference.validation_scores, exclude_seen=reference.exclude_seen))
        popularity = scaled_log_popularity(self.data.matrix)
        best: tuple[float, list[float], bool, float, float] | None = None
        for boost in sorted({weights[0], *DIVERSITY_ALS_WEIGHTS}):
            trial = [boost, *weights[1:]]
            blended = blend(parts, trial) / sum(trial)
            exclude_seen = self.best_exclusion(blended)[0]
            for penalty in DIVERSITY_PENALTIES:
                scores = penalise_popularity(blended, popularity, penalty)
                for mmr in DIVERSITY_MMR:
                    ranker = Diversifier(self.data.unit_vectors, mmr) if mmr else None
                    found = measure(self.lists(scores, exclude_seen=exclude_seen, ranker=ranker))
                    wider = (
                        found.coverage > bar.coverage * COVERAGE_MARGIN
                        and found.diversity > bar.diversity * DIVERSITY_MARGIN
                        and found.ndcg > bar.ndcg * ACCURACY_MARGIN
                    )
                    if wider and (best is None or found.ndcg > best[0]):
                        best = (found.ndcg, trial, exclude_seen, penalty, mmr)
        if best is None:
            return weights, self.best_exclusion(blend(parts, weights))[0], 0.0, 0.0
        return best[1], best[2], best[3], best[4]

    def tune_als(self) -> Tuned:
        """Staged: weighting x factors, then regularization, alpha, iterations."""
        started = time.perf_counter()
        settings: dict[str, Any] = {
            "factors": 64,
            "regularization": 0.05,
            "alpha": 1.0,
            "iterations": 15,
            "weighting": "bm25",
        }
        stages: list[tuple[str, Sequence[Any]]] = [
            ("regularization", (0.005, 0.5)),
            ("alpha", (0.3, 3.0)),
            ("iterations", (8, 30)),
        ]
        trials = [{"weighting": w, "factors": f} for w in WEIGHTINGS for f in (32, 64, 128)]
        best = None
        for change in trials:
            outcome = self.trial(ImplicitALS(**{**settings, **change}))
            if best is None or outcome[0] > best[0][0]:
                best = (outcome, {**settings, **change})
        assert best is not None
        for key, values in stages:
            for value in values:
                trial_settings = {**best[1], key: value}
                outcome = self.trial(ImplicitALS(**trial_settings))
                if outcome[0] > best[0][0]:
                    best = (outcome, trial_settings)
        (quality, exclude_seen, scores), chosen = best
        return Tuned(
            ImplicitALS(**chosen),
            exclude_seen,
            quality,
            scale_rows(scores),
            time.perf_counter() - started,
        )


def evaluate(
    data: Interactions,
    *,
    attributes: sp.csr_matrix | None = None,
    k: int = 10,
    models: Sequence[str] = (),
    step: Step = lambda _description: None,
) -> Evaluation:
    """Measure the baselines and the chosen models (all when none are named)."""
    unknown = set(models) - set(BASELINES) - set(MODELS)
    if unknown:
        raise InvalidInput(
            f"unknown model {', '.join(sorted(unknown))}; known: {', '.join((*BASELINES, *MODELS))}"
        )
    wanted = [*BASELINES, *[m for m in MODELS if not models or m in models]]
    if "content" in wanted and attributes is None:
        wanted.remove("content")
    step("splitting")
    split = split_by_time(data)
    if not len(split.test_users):
        raise InvalidInput("no user has 5 or more interactions: nothing to evaluate")
    validation = split_by_time(split.train)
    if not len(validation.test_users):
        raise InvalidInput("too few interactions to carve a validation split")
    rng = np.random.default_rng(VALIDATION_SEED)
    users = validation.test_users
    if len(users) > VALIDATION_USERS:
        users = np.sort(rng.choice(users, VALIDATION_USERS, replace=False))
    tuner = Tuner(TrainingSet(validation.train, attributes), users, validation.relevant, k)
    needed = [name for name in HYBRID_PARTS if name in wanted or "hybrid" in wanted]
    if attributes is None and "content" in needed:
        needed.remove("content")
    for extra in wanted:
        if extra not in needed and extra != "hybrid":
            needed.append(extra)
    tuned: dict[str, Tuned] = {}
    for name in needed:
        step(f"tuning {name} on the validation split")
        if name == "implicit_als":
            tuned[name] = tuner.tune_als()
        else:
            tuned[name] = tuner.tune(_candidates(name, attributes is not None))
    train = TrainingSet(split.train, attributes)
    final: dict[str, tuple[Model, bool, float, float]] = {}
    for name in needed:
        step(f"training {name}")
        started = time.perf_counter()
        tuned[name].model.fit(train)
        final[name] = (
            tuned[name].model,
            tuned[name].exclude_seen,
            time.perf_counter() - started,
            tuned[name].tuning_seconds,
        )
    if "hybrid" in wanted:
        step("tuning the hybrid's weights on the validation split")
        final["hybrid"] = _hybrid(tuner, tuned, final, train)
    summary = {
        "users": data.n_users,
        "items": data.n_items,
        "evaluated_users": len(split.test_users),
        "train_rows": len(split.train),
        "held_out_rows": len(data) - len(split.train),
    }
    return _measure(split, summary, train, attributes, k, wanted, final, step)


def _hybrid(
    tuner: Tuner,
    tuned: dict[str, Tuned],
    final: dict[str, tuple[Model, bool, float, float]],
    train: TrainingSet,
) -> tuple[Model, bool, float, float]:
    started = time.perf_counter()
    names = [name for name in HYBRID_PARTS if name in tuned]
    parts = [tuned[name].validation_scores for name in names]

    def quality(scores: FloatArray) -> float:
        return tuner.best_exclusion(scores)[1]

    start = int(np.argmax([tuned[name].validation_ndcg for name in names]))
    weights, _best = search_weights(parts, quality, start=start)
    weights, exclude_seen, penalty, mmr = tuner.tune_diversity(
        parts, weights, reference=tuned["implicit_als"]
    )
    model = Hybrid(
        [final[name][0] for name in names],
        weights,
        log_popularity=scaled_log_popularity(train.matrix),
        popularity_penalty=penalty,
        diversifier=Diversifier(train.unit_vectors, mmr) if mmr else None,
    )
    fit_seconds = sum(final[name][2] for name, w in zip(names, weights, strict=True) if w)
    tuning_seconds = (
        time.perf_counter()
        - started
        + sum(tuned[name].tuning_seconds for name, w in zip(names, weights, strict=True) if w)
    )
    return model, exclude_seen, fit_seconds, tuning_seconds


def _measure(
    split: Split,
    summary: dict[str, int],
    train: TrainingSet,
    attributes: sp.csr_matrix | None,
    k: int,
    wanted: Sequence[str],
    final: dict[str, tuple[Model, bool, float, float]],
    step: Step,
) -> Evaluation:
    unit_vectors = train.unit_vectors
    results = []
    for name in wanted:
        step(f"measuring {name}")
        model, exclude_seen, fit_seconds, tuning_seconds = final[name]
        ranker = model.diversifier if isinstance(model, Hybrid) else None
        lists = np.concatenate(
            [
                _ranked(
                    model.score(batch),
                    batch,
                    train.matrix,
                    exclude_seen=exclude_seen,
                    k=k,
                    ranker=ranker,
                )
                for batch in _batches(split.test_users)
            ]
        )
        measured = metrics.measure(
            lists,
            users=split.test_users,
            relevant=split.relevant,
            k=k,
            train=train.matrix,
            unit_vectors=unit_vectors,
        )
        results.append(
            ModelResult(
                name, measured, model.params(), exclude_seen, fit_seconds, tuning_seconds, lists
            )
        )
    return Evaluation(k=k, split=summary, results=results, test_users=split.test_users)
