"""Tree ensembles flattened into arrays, scored one event at a time in microseconds.

scikit-learn's ``predict`` costs about a millisecond per call on one row (input
checks, per-tree Python loops in IsolationForest). Here every tree of an
ensemble lives in the same flat arrays; all trees step down together, one
numpy step per level, so one event costs a few dozen small array operations.
Tests check the answers against scikit-learn's own to 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

EULER_GAMMA = 0.5772156649015329


@dataclass
class FlatForest:
    """Every tree's nodes in one array; ``roots`` index each tree's first node.
    A leaf points to itself with an infinite threshold, so extra steps stay put."""

    feature: NDArray[np.int64]
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    value: NDArray[np.float64]
    roots: NDArray[np.int64]
    depth: int

    def leaf_values(self, row: NDArray[np.float64]) -> NDArray[np.float64]:
        nodes = self.roots
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        for _ in range(self.depth):
            nodes = np.where(row[feature[nodes]] <= threshold[nodes], left[nodes], right[nodes])
        return self.value[nodes]


@dataclass
class _Builder:
    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]
    roots: list[int]
    depth: int = 0

    def build(self) -> FlatForest:
        return FlatForest(
            feature=np.asarray(self.feature, dtype=np.int64),
            threshold=np.asarray(self.threshold, dtype=np.float64),
            left=np.asarray(self.left, dtype=np.int64),
            right=np.asarray(self.right, dtype=np.int64),
            value=np.asarray(self.value, dtype=np.float64),
            roots=np.asarray(self.roots, dtype=np.int64),
            depth=self.depth,
        )


def _new_builder() -> _Builder:
    return _Builder([], [], [], [], [], [])


def flatten_boosting(model: Any) -> tuple[FlatForest, float]:
    """A fitted binary HistGradientBoostingClassifier: its trees and its baseline
    (raw score = baseline + sum of leaf values; probability = logistic of it).
    Rows never hold NaN, so the missing-value branches are not needed."""
    builder = _new_builder()
    for iteration in model._predictors:
        nodes = iteration[0].nodes
        offset = len(builder.feature)
        builder.roots.append(offset)
        for index, node in enumerate(nodes):
            leaf = bool(node["is_leaf"])
            builder.feature.append(0 if leaf else int(node["feature_idx"]))
            builder.threshold.append(math.inf if leaf else float(node["num_threshold"]))
            builder.left.append(offset + (index if leaf else int(node["left"])))
            builder.right.append(offset + (index if leaf else int(node["right"])))
            builder.value.append(float(node["value"]) if leaf else 0.0)
        builder.depth = max(builder.depth, int(nodes["depth"].max()))
    return builder.build(), float(np.ravel(model._baseline_prediction)[0])


def average_path_length(samples: float) -> float:
    """The mean depth of an unsuccessful search in a binary tree of ``samples``."""
    if samples <= 1:
        return 0.0
    if samples <= 2:
        return 1.0
    return 2.0 * (math.log(samples - 1.0) + EULER_GAMMA) - 2.0 * (samples - 1.0) / samples


def flatten_isolation(model: Any) -> tuple[FlatForest, float]:
    """A fitted IsolationForest: each leaf holds its path length (depth plus the
    expected rest of the path below it); answers the trees and the normaliser
    (trees x expected path of ``max_samples_``)."""
    builder = _new_builder()
    for estimator, columns in zip(model.estimators_, model.estimators_features_, strict=True):
        tree = estimator.tree_
        offset = len(builder.feature)
        builder.roots.append(offset)
        depths = [0] * tree.node_count
        for index in range(tree.node_count):
            left, right = int(tree.children_left[index]), int(tree.children_right[index])
            leaf = left == -1
            if not leaf:
                depths[left] = depths[right] = depths[index] + 1
            builder.feature.append(0 if leaf else int(columns[tree.feature[index]]))
            builder.threshold.append(math.inf if leaf else float(tree.threshold[index]))
            builder.left.append(offset + (index if leaf else left))
            builder.right.append(offset + (index if leaf else right))
            samples = float(tree.n_node_samples[index])
            builder.value.append(depths[index] + average_path_length(samples) if leaf else 0.0)
        builder.depth = max(builder.depth, max(depths))
    normaliser = len(model.estimators_) * average_path_length(float(model.max_samples_))
    return builder.build(), normaliser


def isolation_score(forest: FlatForest, normaliser: float, row: NDArray[np.float64]) -> float:
    """The anomaly score in (0, 1): near 1 is isolated fast (sklearn's
    ``-score_samples``)."""
    return float(2.0 ** (-forest.leaf_values(row).sum() / normaliser))


def boosting_probability(forest: FlatForest, baseline: float, row: NDArray[np.float64]) -> float:
    raw = baseline + float(forest.leaf_values(row).sum())
    return 1.0 / (1.0 + math.exp(-raw)) if raw > -700 else 0.0
