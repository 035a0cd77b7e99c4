"""The flat forests answer what scikit-learn answers, for one row at a time."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest  # type: ignore[import-untyped]

from liveshop.risk.forests import (
    boosting_probability,
    flatten_boosting,
    flatten_isolation,
    isolation_score,
)


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(3000, 8)) * [1, 2, 3, 1, 1, 5, 0.1, 10]
    values[:, 3] = rng.integers(0, 4, size=3000)  # ties on thresholds
    labels = (values[:, 0] + values[:, 1] * values[:, 3] > 2.5) | (values[:, 5] > 9)
    return values, labels


def test_isolation_forest_scores_match_sklearn() -> None:
    values, _ = _data()
    model = IsolationForest(n_estimators=50, max_samples=128, random_state=1).fit(values)
    flat, normaliser = flatten_isolation(model)
    expected = -model.score_samples(values[:300])
    got = [
        isolation_score(flat, normaliser, row.astype(np.float32).astype(np.float64))
        for row in values[:300]
    ]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_gradient_boosting_probabilities_match_sklearn() -> None:
    values, labels = _data()
    model = HistGradientBoostingClassifier(max_iter=40, max_depth=5, random_state=1)
    model.fit(values, labels)
    flat, baseline = flatten_boosting(model)
    expected = model.predict_proba(values[:300])[:, 1]
    got = [boosting_probability(flat, baseline, row) for row in values[:300]]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
