"""Model versions under ``LIVESHOP_HOME/recommend/``: one directory per training
(``v0001``, ``v0002``...), each array in its own ``.npy`` file and facts in
``meta.json`` (no pickle: a model file is data, never code), and ``CURRENT``
naming the one served. Rolling back points ``CURRENT`` at an earlier version.

Erasing a viewer (privacy) blanks their rows in every kept version in place (a
row's position never changes, so arrays and facts stay aligned for any reader)
and drops their pseudonym and host affinities from the facts; serving reloads a
version whose facts changed (:func:`stamp`). A training in flight has read the
viewer's events already: the erasure notes the viewer in the training's file under
``.trainings/`` (:func:`erasures_during`), and :func:`save` blanks them in the new
version before publishing it, under the same lock, so an erasure lands either in
that file or, later, in the published version.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from liveshop.core.errors import InvalidInput, NotFound

CURRENT_FILE = "CURRENT"
TRAININGS = ".trainings"  # a file per training in flight: the viewers erased since it began
FACTS_FILE = "meta.json"
PACKED_ARRAYS = "arrays.npz"  # how versions were written before one file per array
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
    PER_VIEWER = ("candidates", "candidate_scores", "candidate_anchors")  # a row per user_ids


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


def save(home: Path, artifact: ModelArtifact, *, erased_since: Path | None = None) -> str:
    """Write a new version and make it current; returns its name. ``erased_since``:
    the training's file of :func:`erasures_during`, whose viewers leave the version
    before anyone can read it."""
    root = _root(home)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging."))
    for name in ModelArtifact.ARRAYS:
        np.save(staging / f"{name}.npy", getattr(artifact, name), allow_pickle=False)
    facts = {
        **artifact.meta,
        "user_ids": artifact.user_ids,
        "room_popularity": {str(k): v for k, v in artifact.room_popularity.items()},
        "host_affinity": {
            user: {str(host): value for host, value in hosts.items()}
            for user, hosts in artifact.host_affinity.items()
        },
    }
    with _exclusive(home):
        existing = versions(home)
        version = f"v{int(existing[-1][1:]) + 1 if existing else 1:04d}"
        (staging / FACTS_FILE).write_text(json.dumps({**facts, "version": version}))
        if erased_since is not None:
            for viewer in set(erased_since.read_text().split()):
                _erase_from(staging, viewer)
        os.rename(staging, root / version)
        _point_current_at(home, version)
        for old in versions(home)[:-KEPT_VERSIONS]:
            shutil.rmtree(root / old, ignore_errors=True)
    return version


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextmanager
def erasures_during(home: Path) -> Iterator[Path]:
    """A training in flight: a file where each erasure from now on notes its viewer,
    for :func:`save`; removed when the training ends (and, should its process have
    died, by the next training)."""
    folder = _root(home) / TRAININGS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _exclusive(home):
        for left in folder.iterdir():
            if not _running(int(left.name.split(".")[0])):
                left.unlink(missing_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}.")
        os.close(handle)
    try:
        yield Path(name)
    finally:
        with _exclusive(home):
            Path(name).unlink(missing_ok=True)


def _read_arrays(directory: Path) -> dict[str, npt.NDArray[Any]]:
    packed = directory / PACKED_ARRAYS
    if packed.exists():
        with np.load(packed, allow_pickle=False) as arrays:
            return {name: arrays[name] for name in ModelArtifact.ARRAYS}
    return {
        name: np.load(directory / f"{name}.npy", allow_pickle=False)
        for name in ModelArtifact.ARRAYS
    }


def load(home: Path, version: str) -> ModelArtifact:
    directory = _root(home) / version
    if not VERSION_PATTERN.match(version) or not directory.is_dir():
        raise NotFound(f"no recommendation model {version}")
    loaded = _read_arrays(directory)
    facts = json.loads((directory / FACTS_FILE).read_text())
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
        facts = json.loads((_root(home) / version / FACTS_FILE).read_text())
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


def stamp(home: Path, version: str) -> tuple[int, int]:
    """Changes when the version's facts are rewritten (an erasure), so a cached copy
    knows to reload."""
    found = (_root(home) / version / FACTS_FILE).stat()
    return found.st_ino, found.st_mtime_ns


def _unpack(directory: Path) -> None:
    """A version in the packed layout becomes one ``.npy`` per array (edited in place)."""
    packed = directory / PACKED_ARRAYS
    if not packed.exists():
        return
    for name, array in _read_arrays(directory).items():
        np.save(directory / f"{name}.npy", array, allow_pickle=False)
    packed.unlink()


def _write_facts(directory: Path, facts: dict[str, Any]) -> None:
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".meta.")
    with os.fdopen(handle, "w") as out:
        json.dump(facts, out)
    os.replace(temporary, directory / FACTS_FILE)


@contextmanager
def _exclusive(home: Path) -> Iterator[None]:
    """One erasure or publication at a time (each rewrites facts it read, and a
    publication reads the erasures its training missed)."""
    root = _root(home)
    with open(root / ".erasure.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _erase_from(directory: Path, viewer: str) -> bool:
    facts = json.loads((directory / FACTS_FILE).read_text())
    rows = [row for row, user in enumerate(facts["user_ids"]) if user == viewer]
    if not rows and viewer not in facts["host_affinity"]:
        return False
    if rows:  # (a viewer may hold host affinities only)
        _unpack(directory)
        for name in ModelArtifact.PER_VIEWER:
            array = np.load(directory / f"{name}.npy", mmap_mode="r+", allow_pickle=False)
            array[rows] = -1 if array.dtype.kind == "i" else 0
            array.flush()
            del array  # unmapped before the facts say the rows are gone
    for row in rows:
        facts["user_ids"][row] = ""  # the row stays, so later rows keep their place
    facts["host_affinity"].pop(viewer, None)
    _write_facts(directory, facts)
    return True


def erase_viewer(home: Path, viewer: str) -> int:
    """Remove ``viewer`` (a pseudonym) from every kept version: their candidate rows
    are blanked (no candidates, no scores, no anchors) and their pseudonym and host
    affinities leave the facts, and trainings in flight note them for their
    version. Returns how many versions held them.

    The rows go first, then the facts: a reader in between finds the viewer with
    an empty row, never another viewer's row under their name."""
    if not _root(home).is_dir():
        return 0
    changed = 0
    with _exclusive(home):
        trainings = _root(home) / TRAININGS
        for training in trainings.iterdir() if trainings.is_dir() else []:
            with open(training, "a") as noted:
                noted.write(viewer + "\n")
        for version in versions(home):
            try:
                changed += _erase_from(_root(home) / version, viewer)
            except FileNotFoundError:  # pruned by a training meanwhile: nothing left to erase
                continue
    return changed
