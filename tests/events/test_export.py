"""The store as date-partitioned Parquet, read back by DuckDB and by Spark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from liveshop.events.export import export_parquet
from liveshop.events.importer import import_log
from liveshop.events.store import append_events


def test_export_writes_one_partition_per_utc_day_and_replaces_on_rerun(tmp_path: Path) -> None:
    store = tmp_path / "events.duckdb"
    log = tmp_path / "log.csv"
    log.write_text(
        "user_id,product_id,event_type,timestamp,amount\n"
        "u1,P1,view,2023-01-01T23:30:00-01:00,\n"  # 2023-01-02 in UTC
        "u2,P2,purchase,2023-01-01T10:00:00Z,5.00\n"
    )
    import_log(store, log)
    append_events(
        store,
        [
            {
                "event_id": "e1",
                "event_type": "like",
                "user_id": "u_x",
                "room_id": 5,
                "product_id": None,
                "ts": datetime(2023, 1, 1, 12, tzinfo=UTC),
                "properties": {"count": 7, "messages": 2},
            }
        ],
    )
    out = tmp_path / "parquet"

    result = export_parquet(store, directory=out)
    again = export_parquet(store, directory=out)

    assert (result.rows, result.partitions) == (3, 2)
    assert sorted(path.name for path in out.iterdir()) == ["date=2023-01-01", "date=2023-01-02"]
    table = pq.read_table(out)
    rows = sorted(table.to_pylist(), key=lambda row: row["ts_us"])
    assert [
        (r["user_id"], r["event_type"], r["amount"], r["like_count"], r["room_id"]) for r in rows
    ] == [
        ("u2", "purchase", 500, None, None),
        ("u_x", "like", None, 7, "5"),
        ("u1", "view", None, None, None),
    ]
    assert again.rows == 3
    assert table.num_rows == 3
