"""Model versions under ``LIVESHOP_HOME/recommend/``: one directory per training
(``v0001``, ``v0002``...), arrays in ``arrays.npz`` and facts in ``meta.json``
(no pickle: a model file is data, never code), and ``CURRENT`` naming the one
served. Rolling back points ``CURRENT`` at an earlier version; nothing is deleted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from liveshop.core.errors import InvalidInput, NotFound

CURRENT_FILE = "CURRENT"
VERSION_PATTERN = re.compile(r"^v(\d{4,})$")
KEPT_VERSIONS = 10  # older model directories are pruned after a training


@dataclass
class ModelArtifact:
    """What serving needs, precomputed (see ``training.py`` for how each is made)."""

    product_ids: npt.NDArray[np.int64]
    neighbours: npt.NDArray[np.int32]  # products x NB, indices into product_ids, -1 = none
    neighbour_scores: npt.NDArray[np.float32]
    popularity: npt.NDArray[np.float64]  # decayed, every viewer's events (an aggregate)
    user_ids: list[str]  # pseudonyms of viewers who allowed personalisation
    candidates: npt.NDArray[np.int32]  # users x C, product indices, -1 = none
    candidate_scores: npt.NDArray[np.float32]
    candidate_anchors: npt.NDArray[np.int32]  # the user's product that explains it, -1
    room_popularity: dict[int, float] = field(default_factory=dict)
    host_affinity: dict[str, dict[int, float]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    ARRAYS = (
        "product_ids",
        "neighbours",
        "neighbour_scores",
        "popularity",
        "candidates",
        "candidate_scores",
        "candidate_anchors",
    )


def _root(home: Path) -> Path:
    return home / "recommend"


def versions(home: Path) -> list[str]:
    root = _root(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and VERSION_PATTERN.match(p.name))


def current_version(home: Path) -> str | None:
    try:
        name = (_root(home) / CURRENT_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    return name if VERSION_PATTERN.match(name) else None


def _point_current_at(home: Path, version: str) -> None:
    root = _root(home)
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".current.")
    with os.fdopen(handle, "w") as out:
        out.write(version + "\n")
    os.replace(temporary, root / CURRENT_FILE)


def save(home: Path, artifact: ModelArtifact) -> str:
    """Write a new version and make it current; returns its name."""
    root = _root(home)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = versions(home)
    number = int(existing[-1][1:]) + 1 if existing else 1
    version = f"v{number:04d}"
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging."))
    np.savez(
        staging / "arrays.npz", **{name: getattr(artifact, name) for name in ModelArtifact.ARRAYS}
    )
    facts = {
        **artifact.meta,
        "version": version,
        "user_ids": artifact.user_ids,
        "room_popularity": {str(k): v for k, v in artifact.room_popularity.items()},
        "host_affinity": {
            user: {str(host): value for host, value in hosts.items()}
            for user, hosts in artifact.host_affinity.items()
        },
    }
    (staging / "meta.json").write_text(json.dumps(facts))
    os.rename(staging, root / version)
    _point_current_at(home, version)
    for old in versions(home)[:-KEPT_VERSIONS]:
        shutil.rmtree(root / old, ignore_errors=True)
    return version


def load(home: Path, version: str) -> ModelArtifact:
    directory = _root(home) / version
    if not VERSION_PATTERN.match(version) or not directory.is_dir():
        raise NotFound(f"no recommendation model {version}")
    with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
        loaded = {name: arrays[name] for name in ModelArtifact.ARRAYS}
    facts = json.loads((directory / "meta.json").read_text())
    return ModelArtifact(
        **loaded,
        user_ids=list(facts.pop("user_ids")),
        room_popularity={int(k): float(v) for k, v in facts.pop("room_popularity").items()},
        host_affinity={
            user: {int(host): float(value) for host, value in hosts.items()}
            for user, hosts in facts.pop("host_affinity").items()
        },
        meta=facts,
    )


def describe(home: Path) -> list[dict[str, Any]]:
    """Every kept version with its facts, oldest first; ``current`` marks the served one."""
    served = current_version(home)
    rows = []
    for version in versions(home):
        facts = json.loads((_root(home) / version / "meta.json").read_text())
        rows.append(
            {
                "version": version,
                "current": version == served,
                **{
                    k: v
                    for k, v in facts.items()
                    if k not in ("user_ids", "room_popularity", "host_affinity", "version")
                },
            }
        )
    return rows


def rollback(home: Path, *, to: str | None = None) -> str:
    """Serve ``to``, or the version before the current one."""
    kept = versions(home)
    served = current_version(home)
    if to is None:
        if served not in kept or kept.index(served) == 0:
            raise InvalidInput("no earlier recommendation model to roll back to")
        to = kept[kept.index(served) - 1]
    if to not in kept:
        raise NotFound(f"no recommendation model {to} (kept: {', '.join(kept) or 'none'})")
    _point_current_at(home, to)
    return to
