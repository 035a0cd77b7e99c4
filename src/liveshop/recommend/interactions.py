"""Interaction logs: reading a file, encoding ids, and the evaluation split.

The split is the issue's, exactly: users with at least ``MIN_USER_ROWS`` rows;
each user's rows sorted by timestamp, ties kept in file order; the last 20 %
(rounded up, at least one) held out; everything else (those users' earlier rows
and every other user's rows) is training. Relevant items are the distinct items
of a user's held-out rows.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published

from liveshop.core.errors import InvalidInput

MIN_USER_ROWS = 5
HELD_OUT_PARTS = 5  # one fifth: 20 %
REQUIRED_COLUMNS = ("user_id", "item_id", "timestamp")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Interactions:
    """Rows in file order: user and item as dense indices into ``user_ids``/``item_ids``."""

    users: IntArray
    items: IntArray
    timestamps: FloatArray
    weights: FloatArray
    user_ids: list[str]
    item_ids: list[str]

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def subset(self, rows: npt.NDArray[np.bool_] | IntArray) -> Interactions:
        return Interactions(
            users=self.users[rows],
            items=self.items[rows],
            timestamps=self.timestamps[rows],
            weights=self.weights[rows],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
        )

    def matrix(self, *, binary: bool = False) -> sp.csr_matrix:
        """Users x items, weights summed over repeated rows (or 1 for any row)."""
        values = np.ones(len(self)) if binary else self.weights
        matrix = sp.csr_matrix(
            (values, (self.users, self.items)), shape=(self.n_users, self.n_items)
        )
        matrix.sum_duplicates()
        if binary:
            matrix.data[:] = 1.0
        return matrix


@dataclass(frozen=True)
class Split:
    train: Interactions
    test_users: IntArray
    relevant: dict[int, set[int]]  # test user -> distinct held-out items


def parse_column_map(pairs: Sequence[str]) -> dict[str, str]:
    """``--map user_id=customer`` pairs: our column name -> the file's."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        ours, separator, theirs = pair.partition("=")
        if not separator or not ours.strip() or not theirs.strip():
            raise InvalidInput(f"--map takes column=name, got {pair!r}")
        if ours.strip() not in (*REQUIRED_COLUMNS, "weight"):
            raise InvalidInput(
                f"--map: {ours.strip()!r} is not one of user_id, item_id, timestamp, weight"
            )
        mapping[ours.strip()] = theirs.strip()
    return mapping


def _header_name(raw: str) -> str:
    # RecBole's atomic files type their columns: "user_id:token".
    return raw.strip().split(":", 1)[0]


def read_interactions(path: Path, *, column_map: Mapping[str, str] | None = None) -> Interactions:
    """Read a CSV or tab-separated file with a header row (the delimiter is sniffed)."""
    column_map = dict(column_map or {})
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            first = handle.readline()
            delimiter = "\t" if first.count("\t") >= first.count(",") else ","
            header = [_header_name(name) for name in first.rstrip("\r\n").split(delimiter)]
            wanted = {ours: column_map.get(ours, ours) for ours in (*REQUIRED_COLUMNS, "weight")}
            missing = [wanted[c] for c in REQUIRED_COLUMNS if wanted[c] not in header]
            if missing:
                raise InvalidInput(
                    f"{path.name}: no column {', '.join(missing)} (columns: {', '.join(header)};"
                    " name others with --map user_id=COLUMN)"
                )
            position = {
                ours: header.index(theirs) for ours, theirs in wanted.items() if theirs in header
            }
            return _encode_rows(csv.reader(handle, delimiter=delimiter), position, path.name)
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from error


def _encode_rows(rows: Iterable[list[str]], position: Mapping[str, int], name: str) -> Interactions:
    user_index: dict[str, int] = {}
    item_index: dict[str, int] = {}
    users: list[int] = []
    items: list[int] = []
    stamps: list[float] = []
    weights: list[float] = []
    weight_at = position.get("weight")
    for line_number, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            user = row[position["user_id"]]
            item = row[position["item_id"]]
            stamp = float(row[position["timestamp"]])
            weight = float(row[weight_at]) if weight_at is not None else 1.0
        except (IndexError, ValueError) as error:
            raise InvalidInput(f"{name} line {line_number}: {error}") from error
        if not math.isfinite(stamp) or not math.isfinite(weight):
            raise InvalidInput(f"{name} line {line_number}: not a finite number")
        users.append(user_index.setdefault(user, len(user_index)))
        items.append(item_index.setdefault(item, len(item_index)))
        stamps.append(stamp)
        weights.append(weight)
    if not users:
        raise InvalidInput(f"{name}: no interactions")
    return Interactions(
        users=np.asarray(users, dtype=np.int64),
        items=np.asarray(items, dtype=np.int64),
        timestamps=np.asarray(stamps, dtype=np.float64),
        weights=np.asarray(weights, dtype=np.float64),
        user_ids=list(user_index),
        item_ids=list(item_index),
    )


def held_out_count(rows: int) -> int:
    """The last 20 %, rounded up, at least one (integers: 15 * 0.2 is 3.0000000000000004)."""
    return max(1, -(-rows // HELD_OUT_PARTS))


def split_by_time(data: Interactions, *, min_rows: int = MIN_USER_ROWS) -> Split:
    """The per-user time split (module docstring). Stable sorts keep file order on ties."""
    order = np.lexsort((np.arange(len(data)), data.timestamps, data.users))
    sorted_users = data.users[order]
    boundaries = np.flatnonzero(np.diff(sorted_users)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(order)]))
    is_test = np.zeros(len(data), dtype=bool)
    test_users: list[int] = []
    relevant: dict[int, set[int]] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        count = end - start
        if count < min_rows:
            continue
        held = order[end - held_out_count(count) : end]
        is_test[held] = True
        user = int(sorted_users[start])
        test_users.append(user)
        relevant[user] = set(data.items[held].tolist())
    return Split(
        train=data.subset(~is_test),
        test_users=np.asarray(test_users, dtype=np.int64),
        relevant=relevant,
    )
