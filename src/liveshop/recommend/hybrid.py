"""The hybrid: each component's scores scaled to [0, 1] per user, then blended with
weights chosen on a validation split carved from the training rows only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from liveshop.recommend.interactions import FloatArray, IntArray
from liveshop.recommend.models import Model, TrainingSet

WEIGHT_GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
SEARCH_ROUNDS = 2


def scale_rows(scores: FloatArray) -> FloatArray:
    """Min-max per row, so a component's strength is its ranking, not its units."""
    low = scores.min(axis=1, keepdims=True)
    spread = scores.max(axis=1, keepdims=True) - low
    spread[spread == 0] = 1.0
    return np.asarray((scores - low) / spread, dtype=np.float64)


def scaled_log_popularity(matrix: Any) -> FloatArray:
    """log(1 + users per item), scaled to [0, 1]."""
    counts = np.log1p(np.asarray((matrix > 0).sum(axis=0), dtype=np.float64).ravel())
    return np.asarray(counts / max(1e-12, counts.max()), dtype=np.float64)


def penalise_popularity(
    scores: FloatArray, log_popularity: FloatArray | None, penalty: float
) -> FloatArray:
    if not penalty or log_popularity is None:
        return scores
    return scores - penalty * log_popularity


def blend(parts: Sequence[FloatArray], weights: Sequence[float]) -> FloatArray:
    total = np.zeros_like(parts[0])
    for part, weight in zip(parts, weights, strict=True):
        if weight:
            total += weight * part
    return total


@dataclass
class Hybrid:
    """A blend of fitted components (fitted by the caller: they are shared)."""

    components: list[Model]
    weights: list[float]
    log_popularity: FloatArray | None = None  # items, scaled to [0, 1], from training
    popularity_penalty: float = 0.0
    diversifier: Diversifier | None = None
    name: str = "hybrid"

    def fit(self, data: TrainingSet) -> None:
        for component, weight in zip(self.components, self.weights, strict=True):
            if weight:
                component.fit(data)

    def score(self, users: IntArray) -> FloatArray:
        parts = [
            scale_rows(component.score(users)) if weight else np.zeros(0)
            for component, weight in zip(self.components, self.weights, strict=True)
        ]
        used = [(part, weight) for part, weight in zip(parts, self.weights, strict=True) if weight]
        blended = blend([part for part, _ in used], [weight for _, weight in used])
        return penalise_popularity(
            blended / sum(self.weights), self.log_popularity, self.popularity_penalty
        )

    def rank(self, scores: FloatArray, k: int) -> IntArray:
        if self.diversifier is None:
            from liveshop.recommend.metrics import top_k

            return top_k(scores, k)
        return self.diversifier.rank(scores, k)

    def params(self) -> dict[str, Any]:
        return {
            "popularity_penalty": self.popularity_penalty,
            "mmr": self.diversifier.mmr if self.diversifier else 0.0,
            "weights": {
                component.name: weight
                for component, weight in zip(self.components, self.weights, strict=True)
            },
        }


def search_weights(
    parts: Sequence[FloatArray],
    quality: Callable[[FloatArray], float],
    *,
    start: int,
) -> tuple[list[float], float]:
    """Coordinate ascent over ``WEIGHT_GRID`` from the best single component."""
    weights = [0.0] * len(parts)
    weights[start] = 1.0
    best = quality(blend(parts, weights))
    for _round in range(SEARCH_ROUNDS):
        improved = False
        for index in range(len(parts)):
            for value in WEIGHT_GRID:
                if value == weights[index]:
                    continue
                trial = [*weights]
                trial[index] = value
                if not any(trial):
                    continue
                result = quality(blend(parts, trial))
                if result > best + 1e-9:
                    best, weights, improved = result, trial, True
        if not improved:
            break
    return weights, best


@dataclass
class Diversifier:
    """Re-ranks a list's top ``POOL`` by maximal marginal relevance: each next item
    maximises (1 - mmr) * score - mmr * (its highest cosine to the items already
    picked)."""

    unit_vectors: Any  # sparse items x features, unit rows
    mmr: float = 0.0

    POOL = 50

    def rank(self, scores: FloatArray, k: int) -> IntArray:
        """``scores`` may hold -inf for items that must not be shown."""
        from liveshop.recommend.metrics import top_k

        if not self.mmr:
            return top_k(scores, k)
        pool = top_k(scores, max(k, self.POOL))
        return np.stack([self.greedy(row, scores[index, row], k) for index, row in enumerate(pool)])

    def greedy(self, candidates: IntArray, relevance: FloatArray, k: int) -> IntArray:
        block = self.unit_vectors[candidates]
        similarity = np.asarray((block @ block.T).toarray())
        relevance = np.where(np.isfinite(relevance), relevance, -1e9)
        closest = np.zeros(len(candidates))
        chosen: list[int] = []
        available = np.ones(len(candidates), dtype=bool)
        for _ in range(min(k, len(candidates))):
            value = (1 - self.mmr) * relevance - self.mmr * closest
            value[~available] = -np.inf
            pick = int(np.argmax(value))
            chosen.append(pick)
            available[pick] = False
            closest = np.maximum(closest, similarity[pick])
        return candidates[np.asarray(chosen, dtype=np.int64)]
