"""Metrics on lists small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from liveshop.recommend import metrics


def test_ranking_accuracy_by_hand() -> None:
    lists = np.array([[1, 2, 3], [4, 5, 6]])
    users = np.array([0, 1])
    relevant = {0: {2, 9}, 1: {7}}
    precision, recall, ndcg, average_precision = metrics.ranking_accuracy(lists, users, relevant, 3)
    # user 0: one hit at rank 2; user 1: none.
    assert precision == pytest.approx((1 / 3) / 2)
    assert recall == pytest.approx((1 / 2) / 2)
    assert ndcg == pytest.approx(((1 / math.log2(3)) / (1 + 1 / math.log2(3))) / 2)
    assert average_precision == pytest.approx(((1 / 2) / 2) / 2)


def test_top_k_breaks_ties_by_lower_index() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.1]])
    assert metrics.top_k(scores, 3).tolist() == [[1, 0, 2]]


def test_coverage_diversity_and_novelty() -> None:
    # 4 users x 3 items; item vectors: items 0 and 1 identical, 2 orthogonal.
    train = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=float))
    unit = metrics.item_vectors_for_diversity(
        train, sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    )
    lists = np.array([[0, 1], [0, 2]])
    measured = metrics.measure(
        lists,
        users=np.array([0, 1]),
        relevant={0: {5}, 1: {5}},
        k=2,
        train=train,
        unit_vectors=unit,
    )
    assert measured.coverage == pytest.approx(3 / 3)
    assert measured.diversity == pytest.approx(((1 - 1) + (1 - 0)) / 2)
    probability = {0: 4 / 5, 1: 2 / 5, 2: 2 / 5}
    expected = np.mean([-math.log2(probability[i]) for i in (0, 1, 0, 2)])
    assert measured.novelty == pytest.approx(expected)
