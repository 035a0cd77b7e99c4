"""The issue's split, exactly: >= 5 rows, time order with ties in file order, the last
20 % rounded up (at least one) held out, relevant = distinct held-out items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from liveshop.core.errors import InvalidInput
from liveshop.recommend.interactions import (
    held_out_count,
    parse_column_map,
    read_interactions,
    split_by_time,
)


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rows", "held"), [(1, 1), (4, 1), (5, 1), (6, 2), (10, 2), (11, 3), (15, 3), (16, 4)]
)
def test_held_out_is_the_last_fifth_rounded_up(rows: int, held: int) -> None:
    assert held_out_count(rows) == held


def test_split_sorts_by_time_keeps_file_order_on_ties_and_skips_light_users(
    tmp_path: Path,
) -> None:
    # u1: 6 rows, out of time order in the file; the last two by time tie at t=50
    # (file order: x then y), so 2 held out = the two rows at t=50 -> {x, y}.
    # u2: 4 rows: too few, all of them train. u3: 5 rows, the last (t=9) held out,
    # its item bought before too (relevant is still that one distinct item).
    log = write(
        tmp_path,
        "user_id,item_id,timestamp\n"
        "u1,a,10\nu1,x,50\nu2,a,1\nu1,b,20\nu1,y,50\nu1,c,30\nu1,d,40\n"
        "u2,b,2\nu2,c,3\nu2,d,4\n"
        "u3,z,9\nu3,z,1\nu3,a,2\nu3,b,3\nu3,c,4\n",
    )
    data = read_interactions(log)
    split = split_by_time(data)
    users = [data.user_ids[u] for u in split.test_users.tolist()]
    assert users == ["u1", "u3"]
    relevant = {
        data.user_ids[u]: {data.item_ids[i] for i in items} for u, items in split.relevant.items()
    }
    assert relevant == {"u1": {"x", "y"}, "u3": {"z"}}
    train = sorted(
        (data.user_ids[u], data.item_ids[i], t)
        for u, i, t in zip(
            split.train.users.tolist(),
            split.train.items.tolist(),
            split.train.timestamps.tolist(),
            strict=True,
        )
    )
    assert train == [
        ("u1", "a", 10.0), ("u1", "b", 20.0), ("u1", "c", 30.0), ("u1", "d", 40.0),
        ("u2", "a", 1.0), ("u2", "b", 2.0), ("u2", "c", 3.0), ("u2", "d", 4.0),
        ("u3", "a", 2.0), ("u3", "b", 3.0), ("u3", "c", 4.0), ("u3", "z", 1.0),
    ]  # fmt: skip


def test_ties_at_the_cut_follow_file_order(tmp_path: Path) -> None:
    # Five rows all at t=1: the held-out row is the last in the file.
    log = write(
        tmp_path, "user_id,item_id,timestamp\n" + "".join(f"u,{item},1\n" for item in "pqrst")
    )
    data = read_interactions(log)
    split = split_by_time(data)
    assert {data.item_ids[i] for i in split.relevant[0]} == {"t"}


def test_map_names_other_columns_and_reads_weights(tmp_path: Path) -> None:
    log = write(tmp_path, "customer\tsku\twhen\tqty\nc1\ts1\t5\t2\nc1\ts2\t6\t1\n", "log.tsv")
    data = read_interactions(
        log,
        column_map=parse_column_map(
            ["user_id=customer", "item_id=sku", "timestamp=when", "weight=qty"]
        ),
    )
    assert data.user_ids == ["c1"]
    assert data.item_ids == ["s1", "s2"]
    assert np.array_equal(data.weights, [2.0, 1.0])


def test_missing_columns_and_bad_numbers_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no column timestamp"):
        read_interactions(write(tmp_path, "user_id,item_id\nu,i\n"))
    with pytest.raises(InvalidInput, match="line 3"):
        read_interactions(write(tmp_path, "user_id,item_id,timestamp\nu,i,1\nu,j,soon\n"))
    with pytest.raises(InvalidInput, match="column=name"):
        parse_column_map(["user_id"])
