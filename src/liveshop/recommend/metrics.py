"""Ranking metrics at k, and what a list of recommendations looks like as a whole.

Definitions (every model of one run is measured the same way):

- precision@k: relevant items in the top k / k.
- recall@k: relevant items in the top k / number of relevant items.
- NDCG@k: DCG with gain 1 per relevant item at rank r (1/log2(r+1)), over the
  DCG of an ideal list holding min(k, relevant) relevant items.
- MAP@k: mean over users of (sum of precision@r at each relevant rank r <= k)
  / min(k, relevant).
- coverage: distinct items recommended to any evaluated user / items in the
  catalogue (every item of the file).
- intra-list diversity: 1 - the mean cosine similarity of the pairs in a list,
  averaged over users. Items are compared by their attribute vectors when the
  run has them (genres, categories, brands, title words), otherwise by their
  columns of the training matrix (the users who had them).
- novelty: mean of -log2 p(i) over recommended items, p(i) = (training users
  who had item i + 1) / (training users + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]

from liveshop.recommend.interactions import FloatArray, IntArray


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    diversity: float
    novelty: float

    def as_dict(self, k: int) -> dict[str, float]:
        return {
            f"precision@{k}": round(self.precision, 4),
            f"recall@{k}": round(self.recall, 4),
            f"ndcg@{k}": round(self.ndcg, 4),
            f"map@{k}": round(self.map, 4),
            "coverage": round(self.coverage, 4),
            "diversity": round(self.diversity, 4),
            "novelty": round(self.novelty, 4),
        }


def top_k(scores: FloatArray, k: int) -> IntArray:
    """Indices of each row's k highest scores, best first (ties: lower index first)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -picked), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def ranking_accuracy(
    lists: IntArray, users: IntArray, relevant: dict[int, set[int]], k: int
) -> tuple[float, float, float, float]:
    """Mean precision, recall, NDCG and MAP at k over the users' lists."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    totals = np.zeros(4)
    for row, user in zip(lists, users.tolist(), strict=True):
        wanted = relevant[user]
        hits = np.fromiter((item in wanted for item in row[:k].tolist()), dtype=bool)
        hit_count = int(hits.sum())
        ideal = min(k, len(wanted))
        precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        totals += (
            hit_count / k,
            hit_count / len(wanted),
            float(discounts[: len(hits)][hits].sum() / discounts[:ideal].sum()),
            float(precision_at[hits].sum() / ideal),
        )
    count = max(1, len(users))
    precision, recall, ndcg, average_precision = (totals / count).tolist()
    return precision, recall, ndcg, average_precision


def item_vectors_for_diversity(
    train: sp.csr_matrix, attributes: sp.csr_matrix | None
) -> sp.csr_matrix:
    """Unit rows per item: attributes when given, else the item's training column."""
    vectors = attributes if attributes is not None else train.T.tocsr()
    return normalize(vectors.astype(np.float64), norm="l2", axis=1, copy=True)


def intra_list_diversity(lists: IntArray, unit_vectors: sp.csr_matrix) -> float:
    """1 - mean pairwise cosine similarity within each list, averaged over lists."""
    k = lists.shape[1]
    if k < 2 or len(lists) == 0:
        return 0.0
    values = []
    for row in lists:
        block = unit_vectors[row]
        similarity = (block @ block.T).toarray()
        pair_sum = (similarity.sum() - np.trace(similarity)) / 2
        values.append(1.0 - pair_sum / (k * (k - 1) / 2))
    return float(np.mean(values))


def novelty(lists: IntArray, train: sp.csr_matrix) -> float:
    users_per_item = np.asarray((train > 0).sum(axis=0)).ravel()
    probability = (users_per_item + 1) / (train.shape[0] + 1)
    return float(np.mean(-np.log2(probability[lists])))


def measure(
    lists: IntArray,
    *,
    users: IntArray,
    relevant: dict[int, set[int]],
    k: int,
    train: sp.csr_matrix,
    unit_vectors: sp.csr_matrix,
) -> Metrics:
    precision, recall, ndcg, average_precision = ranking_accuracy(lists, users, relevant, k)
    return Metrics(
        precision=precision,
        recall=recall,
        ndcg=ndcg,
        map=average_precision,
        coverage=len(np.unique(lists)) / train.shape[1],
        diversity=intra_list_diversity(lists, unit_vectors),
        novelty=novelty(lists, train),
    )
