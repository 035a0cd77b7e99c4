"""The models: each is fitted on a training set and scores every item for some users.

A model's ``score`` returns a dense users x items array (higher is better);
whether the items a user already had are left out is the caller's choice
(``exclude_seen``), tuned per model on a validation split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published
from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
from implicit.nearest_neighbours import (  # type: ignore[import-untyped]
    BM25Recommender,
    CosineRecommender,
    bm25_weight,
    tfidf_weight,
)
from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liveshop.recommend.interactions import FloatArray, IntArray, Interactions
from liveshop.recommend.metrics import item_vectors_for_diversity

ALS_SEED = 7  # the same factors every run: the evaluation is reproducible


@dataclass
class TrainingSet:
    """What every model may learn from: the training rows and, if known, item attributes."""

    rows: Interactions
    attributes: sp.csr_matrix | None = None  # items x features (counts)
    matrix: sp.csr_matrix = field(init=False)  # users x items, weights summed
    now: float = field(init=False)  # the last training timestamp
    span: float = field(init=False)  # last - first timestamp (at least 1)
    unit_vectors: sp.csr_matrix = field(init=False)  # items, for diversity (metrics.py)

    def __post_init__(self) -> None:
        self.matrix = self.rows.matrix()
        self.unit_vectors = item_vectors_for_diversity(self.matrix, self.attributes)
        self.now = float(self.rows.timestamps.max())
        self.span = max(1.0, self.now - float(self.rows.timestamps.min()))

    def decay(self, half_life_share: float | None) -> FloatArray:
        """Each row's weight halved every ``half_life_share`` of the training span."""
        if half_life_share is None:
            return self.rows.weights
        age = (self.now - self.rows.timestamps) / (self.span * half_life_share)
        return self.rows.weights * np.power(0.5, age)

    def decayed_matrix(self, half_life_share: float | None) -> sp.csr_matrix:
        rows = self.rows
        matrix = sp.csr_matrix(
            (self.decay(half_life_share), (rows.users, rows.items)),
            shape=(rows.n_users, rows.n_items),
        )
        matrix.sum_duplicates()
        return matrix


class Model(Protocol):
    name: str

    def fit(self, data: TrainingSet) -> None: ...

    def score(self, users: IntArray) -> FloatArray: ...

    def params(self) -> dict[str, Any]: ...


class Popularity:
    """Distinct users per item: the non-personalised baseline."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: FloatArray = np.zeros(0)

    def fit(self, data: TrainingSet) -> None:
        binary = data.matrix.copy()
        binary.data[:] = 1.0
        self.counts = np.asarray(binary.sum(axis=0)).ravel()

    def score(self, users: IntArray) -> FloatArray:
        return np.tile(self.counts, (len(users), 1))

    def params(self) -> dict[str, Any]:
        return {}


class DecayedPopularity:
    """Weighted interactions per item, halved every ``half_life_share`` of the span:
    what is popular lately (cold start, and a hybrid component)."""

    name = "popularity_decay"

    def __init__(self, *, half_life_share: float = 0.1) -> None:
        self.half_life_share = half_life_share
        self.scores: FloatArray = np.zeros(0)

    def fit(self, data: TrainingSet) -> None:
        decayed = data.decayed_matrix(self.half_life_share)
        self.scores = np.asarray(decayed.sum(axis=0)).ravel()

    def score(self, users: IntArray) -> FloatArray:
        return np.tile(self.scores, (len(users), 1))

    def params(self) -> dict[str, Any]:
        return {"half_life_share": self.half_life_share}


class BuyAgain:
    """The user's own most-had items (recency-weighted counts), then popular ones."""

    name = "buy_again"
    POPULAR_FILL = 1e-6  # popularity only orders what the user never had

    def __init__(self, *, half_life_share: float | None = None) -> None:
        self.half_life_share = half_life_share
        self.own = sp.csr_matrix((0, 0))
        self.popular: FloatArray = np.zeros(0)

    def fit(self, data: TrainingSet) -> None:
        self.own = data.decayed_matrix(self.half_life_share)
        counts = np.asarray((data.matrix > 0).sum(axis=0), dtype=np.float64).ravel()
        self.popular = counts / max(1.0, counts.max())

    def score(self, users: IntArray) -> FloatArray:
        own = self.own[users].toarray()
        return np.asarray(own + self.POPULAR_FILL * self.popular, dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {"half_life_share": self.half_life_share}


WEIGHTINGS = ("none", "bm25", "tfidf")


def weigh(matrix: sp.csr_matrix, weighting: str) -> sp.csr_matrix:
    if weighting == "bm25":
        return bm25_weight(matrix, K1=100, B=0.8).tocsr()
    if weighting == "tfidf":
        return tfidf_weight(matrix).tocsr()
    return matrix


class ImplicitALS:
    """``implicit``'s ALS on the (optionally bm25/tf-idf weighted) confidence matrix."""

    name = "implicit_als"

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        alpha: float = 1.0,
        weighting: str = "bm25",
    ) -> None:
        self.settings = {
            "factors": factors,
            "regularization": regularization,
            "iterations": iterations,
            "alpha": alpha,
        }
        self.weighting = weighting
        self.user_factors: FloatArray = np.zeros((0, 0))
        self.item_factors: FloatArray = np.zeros((0, 0))

    def fit(self, data: TrainingSet) -> None:
        weighted = weigh(data.matrix, self.weighting).astype(np.float32).tocsr()
        with threadpool_limits(1, "blas"):  # implicit's advice: BLAS threads fight its own
            model = AlternatingLeastSquares(**self.settings, random_state=ALS_SEED)
            model.fit(weighted, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def score(self, users: IntArray) -> FloatArray:
        return np.asarray(self.user_factors[users] @ self.item_factors.T, dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {**self.settings, "weighting": self.weighting}


class ItemCF:
    """Item-based collaborative filtering: ``implicit``'s cosine or BM25 item-item
    neighbours (top ``neighbours`` per item); a user's score for an item is the sum
    of its similarities to the items the user had."""

    name = "item_cf"

    def __init__(self, *, neighbours: int = 100, similarity: str = "cosine") -> None:
        self.neighbours = neighbours
        self.similarity_kind = similarity
        self.similarity = sp.csr_matrix((0, 0))
        self.history = sp.csr_matrix((0, 0))

    def fit(self, data: TrainingSet) -> None:
        kind = CosineRecommender if self.similarity_kind == "cosine" else BM25Recommender
        model = kind(K=self.neighbours)
        binary = data.matrix.copy()
        binary.data[:] = 1.0
        model.fit(binary, show_progress=False)
        self.similarity = model.similarity.tocsr()
        self.history = binary

    def score(self, users: IntArray) -> FloatArray:
        return np.asarray((self.history[users] @ self.similarity).toarray(), dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours, "similarity": self.similarity_kind}


class ContentBased:
    """Items like the ones a user had, by their attributes (tf-idf over genre,
    category, brand and title tokens); the profile weighs recent rows more."""

    name = "content"

    def __init__(self, *, half_life_share: float | None = 0.5) -> None:
        self.half_life_share = half_life_share
        self.unit = sp.csr_matrix((0, 0))
        self.profiles = sp.csr_matrix((0, 0))

    def fit(self, data: TrainingSet) -> None:
        if data.attributes is None:
            raise ValueError("content-based needs item attributes")
        tfidf = TfidfTransformer().fit_transform(data.attributes)
        self.unit = normalize(tfidf, norm="l2", axis=1).tocsr()
        history = data.decayed_matrix(self.half_life_share)
        self.profiles = normalize(history @ self.unit, norm="l2", axis=1).tocsr()

    def score(self, users: IntArray) -> FloatArray:
        return np.asarray((self.profiles[users] @ self.unit.T).toarray(), dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {"half_life_share": self.half_life_share}
