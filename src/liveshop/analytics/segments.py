"""Segments of user profiles: k-means on scaled features, described in words.

Missing values are filled before scaling (no purchase: recency one day past
the oldest buyer's, zero spend; no price or engagement data: the median), so
that every profile gets a segment. With ``k=None`` the number of segments is
the one with the best silhouette from ``K_CHOICES``, measured on a seeded
sample; the same seed gives the same segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from liveshop.core.errors import InvalidInput

FEATURES = (
    "recency_days",
    "frequency",
    "monetary_minor_units",
    "price_sensitivity",
    "evening_share",
    "engagement_per_minute",
)
K_CHOICES = range(2, 9)
SILHOUETTE_SAMPLE = 3_000  # silhouette is quadratic in the rows it scores
NOTABLE = 0.5  # a segment mean this many standard deviations off is worth a word
WORDS = {
    "recency_days": ("lapsing", "recently active"),
    "frequency": ("frequent buyers", "rare buyers"),
    "monetary_minor_units": ("high value", "low value"),
    "price_sensitivity": ("coupon-driven", "pays full price"),
    "evening_share": ("evening viewers", "daytime viewers"),
    "engagement_per_minute": ("highly engaged", "quiet watchers"),
}


@dataclass(frozen=True)
class Segment:
    segment: int
    size: int
    description: str
    means: dict[str, float]  # feature means in the units their names say (monetary_minor_units)


@dataclass(frozen=True)
class Segmentation:
    k: int
    silhouette: float
    segments: list[Segment]
    labels: dict[str, int]  # user id -> segment


def feature_matrix(profiles: list[dict[str, Any]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    matrix = np.array(
        [
            [np.nan if row[name] is None else float(row[name]) for name in FEATURES]
            for row in profiles
        ],
        dtype=np.float64,
    )
    recency = matrix[:, 0]
    if np.isnan(recency).all():
        recency[:] = 0.0
    recency[np.isnan(recency)] = np.nanmax(recency) + 1
    for column in range(1, matrix.shape[1]):
        values = matrix[:, column]
        values[np.isnan(values)] = 0.0 if np.isnan(values).all() else np.nanmedian(values)
    return matrix


def segment_profiles(
    profiles: list[dict[str, Any]], *, k: int | None = None, seed: int = 0
) -> Segmentation:
    """Profiles as built by ``build_profiles`` (in any order: sorted by user id here)."""
    ordered = sorted(profiles, key=lambda row: str(row["user_id"]))
    if len(ordered) < 3:
        raise InvalidInput("segmenting needs at least three profiles")
    if missing := [name for name in FEATURES if name not in ordered[0]]:
        raise InvalidInput(
            f"the profiles have no {', '.join(missing)} column: build them again "
            "(files written before money columns said their unit name it monetary)"
        )
    # scikit-learn is imported here, not with the module: it costs a second at import,
    # and every process that imports the app would pay it
    from sklearn.cluster import KMeans  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    raw = feature_matrix(ordered)
    scaled = StandardScaler().fit_transform(raw)
    choices = [k] if k is not None else [c for c in K_CHOICES if c < len(ordered)]
    best: tuple[float, int, np.ndarray[Any, Any]] | None = None
    for candidate in choices:
        labels = KMeans(n_clusters=candidate, n_init=10, random_state=seed).fit_predict(scaled)
        score = _silhouette(scaled, labels, seed)
        if best is None or score > best[0]:
            best = (score, candidate, labels)
    assert best is not None  # choices is never empty: three profiles allow k = 2
    score, chosen, labels = best
    return Segmentation(
        k=chosen,
        silhouette=score,
        segments=_describe(raw, scaled, labels, chosen),
        labels={
            str(row["user_id"]): int(label) for row, label in zip(ordered, labels, strict=True)
        },
    )


def _silhouette(scaled: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], seed: int) -> float:
    if len(set(labels.tolist())) < 2:
        return -1.0
    from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

    size = min(SILHOUETTE_SAMPLE, len(labels))
    return float(silhouette_score(scaled, labels, sample_size=size, random_state=seed))


def _describe(
    raw: np.ndarray[Any, Any], scaled: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], k: int
) -> list[Segment]:
    segments = []
    for label in range(k):
        members = labels == label
        centre = scaled[members].mean(axis=0)
        words = [
            WORDS[name][0] if value > 0 else WORDS[name][1]
            for name, value in sorted(zip(FEATURES, centre, strict=True), key=lambda p: -abs(p[1]))
            if abs(value) >= NOTABLE
        ]
        segments.append(
            Segment(
                segment=label,
                size=int(members.sum()),
                description=", ".join(words[:3]) or "typical",
                means={
                    name: float(value)
                    for name, value in zip(FEATURES, raw[members].mean(axis=0), strict=True)
                },
            )
        )
    return segments
