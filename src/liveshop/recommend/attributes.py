"""Item attributes for content-based scoring and diversity: a file with an item
column and any text columns (genres, category, brand, title), one feature per
(column, lower-cased word)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # no stubs published

from liveshop.core.errors import InvalidInput

ITEM_COLUMN = "item_id"


def sibling_items_file(interactions_file: Path) -> Path | None:
    """RecBole's layout: ``name.inter`` beside ``name.item``."""
    candidate = interactions_file.with_suffix(".item")
    return candidate if candidate.is_file() and candidate != interactions_file else None


def read_item_attributes(
    path: Path, item_ids: list[str], *, item_column: str = ITEM_COLUMN
) -> sp.csr_matrix:
    """Items (in ``item_ids`` order) x features, counts; unknown items get no row."""
    position = {item: index for index, item in enumerate(item_ids)}
    features: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
            delimiter = "\t" if first.count("\t") >= first.count(",") else ","
            header = [
                name.strip().split(":", 1)[0] for name in first.rstrip("\r\n").split(delimiter)
            ]
            if item_column not in header:
                raise InvalidInput(f"{path.name}: no column {item_column}")
            id_at = header.index(item_column)
            for row in csv.reader(handle, delimiter=delimiter):
                if len(row) <= id_at or row[id_at] not in position:
                    continue
                item = position[row[id_at]]
                for at, value in enumerate(row):
                    if at == id_at or at >= len(header):
                        continue
                    for word in value.lower().replace("|", " ").split():
                        key = f"{header[at]}={word}"
                        rows.append(item)
                        columns.append(features.setdefault(key, len(features)))
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from error
    matrix = sp.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(item_ids), max(1, len(features)))
    )
    matrix.sum_duplicates()
    return matrix
