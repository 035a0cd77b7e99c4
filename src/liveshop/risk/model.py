"""The behaviour model: an isolation forest (no labels needed) and, when the
training file has labels, gradient boosting over the features and that score.

Training replays a file through the same feature code the engine runs online
(``replay.feature_matrix``); thresholds come from out-of-fold scores grouped by
user, so they are set on accounts the model did not learn from. A trained model
is stored with joblib as a version under ``LIVESHOP_HOME/risk/models/`` and
named by ``current`` there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from liveshop.risk.features import FEATURE_NAMES
from liveshop.risk.forests import (
    FlatForest,
    boosting_probability,
    flatten_boosting,
    flatten_isolation,
    isolation_score,
)

MODEL_COLUMNS = (*FEATURE_NAMES, "anomaly_score")
TARGET_FPR = 0.005  # the model's share of legit rows flagged on held-out folds
BLOCK_FPR = 0.0005  # ... and the stricter share it may block outright
FOLDS = 3
TOP_REASONS = 3
CURRENT_FILE = "current"


@dataclass
class BehaviourModel:
    version: str
    isolation: FlatForest
    isolation_normaliser: float
    boosting: FlatForest | None
    boosting_baseline: float
    challenge_at: float
    block_at: float
    importance: dict[str, float]
    legit_high: dict[str, float]  # each feature's 99th percentile on legit rows
    trained_on: dict[str, Any] = field(default_factory=dict)

    def score(self, features: dict[str, float]) -> tuple[float, float]:
        """(model score, anomaly score), both 0-1. Without labels the model score
        is the anomaly score."""
        row = np.fromiter(
            (features[name] for name in FEATURE_NAMES), np.float64, len(FEATURE_NAMES)
        )
        # sklearn's trees compare float32 copies of the inputs; so does the flat copy.
        anomaly = isolation_score(
            self.isolation, self.isolation_normaliser, row.astype(np.float32).astype(np.float64)
        )
        if self.boosting is None:
            return anomaly, anomaly
        full = np.append(row, anomaly)
        return boosting_probability(self.boosting, self.boosting_baseline, full), anomaly

    def explain(self, features: dict[str, float]) -> list[str]:
        """The most important features whose value is beyond what legit users show
        (names and values: for analysts, never shown to merchants or buyers)."""
        found: list[str] = []
        for name in sorted(self.importance, key=self.importance.__getitem__, reverse=True):
            high = self.legit_high.get(name)
            value = features.get(name, 0.0)
            if high is not None and value > high:
                found.append(f"{name}={_short(value)} (legit p99 {_short(high)})")
                if len(found) == TOP_REASONS:
                    break
        return found


def _short(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def train_model(
    matrix: NDArray[np.float64], labels: NDArray[np.bool_], groups: list[str]
) -> BehaviourModel:
    """Fit on the rows of ``matrix`` (FEATURE_NAMES columns). ``labels`` marks abuse;
    ``groups`` (the user of each row) keeps one account's rows in one fold."""
    from sklearn.ensemble import IsolationForest  # type: ignore[import-untyped]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(1):  # on a shared machine, OpenMP threads fight: 44 s -> 9 s
        return _train(IsolationForest, matrix, labels, groups)


def _train(
    isolation_class: Any, matrix: NDArray[np.float64], labels: NDArray[np.bool_], groups: list[str]
) -> BehaviourModel:

    isolation = isolation_class(n_estimators=100, max_samples=256, random_state=7)
    legit_rows = matrix[~labels] if labels.any() else matrix
    isolation.fit(matrix)  # unsupervised: every row, labels unseen
    anomaly = -isolation.score_samples(matrix)
    flat_isolation, normaliser = flatten_isolation(isolation)
    legit_high = {
        name: float(np.quantile(legit_rows[:, index], 0.99))
        for index, name in enumerate(FEATURE_NAMES)
    }
    trained_on = {"rows": len(matrix), "abuse_rows": int(labels.sum())}
    if not labels.any() or labels.all():
        legit = anomaly
        return BehaviourModel(
            version=_version(),
            isolation=flat_isolation,
            isolation_normaliser=normaliser,
            boosting=None,
            boosting_baseline=0.0,
            challenge_at=float(np.quantile(legit, 1 - TARGET_FPR)),
            block_at=float(np.quantile(legit, 1 - BLOCK_FPR)),
            importance={name: 1.0 for name in FEATURE_NAMES},
            legit_high=legit_high,
            trained_on=trained_on,
        )
    full = np.column_stack([matrix, anomaly])
    out_of_fold = _out_of_fold(full, labels, groups)
    boosting = _boosting().fit(full, labels)
    flat_boosting, baseline = flatten_boosting(boosting)
    legit_scores = out_of_fold[~labels]
    return BehaviourModel(
        version=_version(),
        isolation=flat_isolation,
        isolation_normaliser=normaliser,
        boosting=flat_boosting,
        boosting_baseline=baseline,
        challenge_at=float(np.quantile(legit_scores, 1 - TARGET_FPR)),
        block_at=max(float(np.quantile(legit_scores, 1 - BLOCK_FPR)), 0.5),
        importance=_importance(boosting),
        legit_high=legit_high,
        trained_on=trained_on,
    )


def _boosting() -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=120, learning_rate=0.1, max_depth=6, l2_regularization=1.0, random_state=7
    )


def _out_of_fold(
    full: NDArray[np.float64], labels: NDArray[np.bool_], groups: list[str]
) -> NDArray[np.float64]:
    from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]

    scores = np.zeros(len(full))
    for train, test in GroupKFold(n_splits=FOLDS).split(full, labels, groups):
        if labels[train].all() or not labels[train].any():
            continue
        scores[test] = _boosting().fit(full[train], labels[train]).predict_proba(full[test])[:, 1]
    return scores


def _importance(boosting: Any) -> dict[str, float]:
    """Each column's share of the gain of all splits."""
    gains = np.zeros(len(MODEL_COLUMNS))
    for iteration in boosting._predictors:
        nodes = iteration[0].nodes
        inner = nodes[nodes["is_leaf"] == 0]
        np.add.at(gains, inner["feature_idx"], inner["gain"])
    total = gains.sum() or 1.0
    return {
        name: float(gain / total)
        for name, gain in zip(MODEL_COLUMNS, gains, strict=True)
        if gain > 0
    }


def _version() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def models_dir(home: Path) -> Path:
    path = home / "risk" / "models"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def save_model(model: BehaviourModel, *, home: Path, path: Path | None = None) -> Path:
    """Store ``model`` at ``path``, or as a new version under ``home`` that becomes
    the current one."""
    import joblib  # type: ignore[import-untyped]

    target = path or models_dir(home) / f"{model.version}.joblib"
    target.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, target)
    if path is None:
        (models_dir(home) / CURRENT_FILE).write_text(target.name, encoding="utf-8")
    return target


def load_model(path: Path) -> BehaviourModel:
    import joblib

    model = joblib.load(path)
    if not isinstance(model, BehaviourModel):
        raise ValueError(f"{path} holds no risk model")
    return model


def current_model(home: Path) -> BehaviourModel | None:
    pointer = home / "risk" / "models" / CURRENT_FILE
    if not pointer.exists():
        return None
    return load_model(pointer.parent / pointer.read_text(encoding="utf-8").strip())


def describe(model: BehaviourModel) -> str:
    return json.dumps(
        {
            "version": model.version,
            "supervised": model.boosting is not None,
            "challenge_at": round(model.challenge_at, 6),
            "block_at": round(model.block_at, 6),
            **model.trained_on,
        }
    )
