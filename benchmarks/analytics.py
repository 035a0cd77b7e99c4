"""Analytics benchmark: ingest and reports on DuckDB beside plain pandas.

Generates a seeded live-commerce log (sessions of view -> click -> cart ->
purchase with comments and likes; users and products drawn from skewed
popularity), writes it as Parquet and CSV, then measures in one run:
- ingest: Parquet -> the DuckDB event store (events per second), then the
  same file again (found by its SHA-256, nothing read or added);
- top-products, funnel, session report and profiles (with RFM) on the store
  with DuckDB;
- the same top-products through the CLI path (CSV read and checked by DuckDB);
- the straightforward pandas code on the same CSV (read, filter by time,
  group by product), in a child process so its memory is its own;
and prints JSON with the ratios, the peak memory of each side, the CPU seconds
of each step (the machine may be shared: CPU time varies less than wall time)
and whether issue 6's targets hold.

    python benchmarks/analytics.py                # 10 M events, ~1 M users
    python benchmarks/analytics.py --events 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from liveshop.analytics.engines import DuckDBEngine
from liveshop.analytics.log_view import LogEngine
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.reports.common import TimeWindow
from liveshop.analytics.reports.funnel import funnel
from liveshop.analytics.reports.session_report import session_report
from liveshop.analytics.reports.top_products import top_products
from liveshop.events.importer import import_log

START = datetime(2023, 1, 1, tzinfo=UTC)
DAYS = 31
ROOMS = 200
WINDOW = (date(2023, 1, 8), date(2023, 1, 21))  # two weeks of the month
EVENTS_PER_SESSION = 8.0  # a little under the ~8.5 drawn, so the log is cut to size


def generate(events: int, seed: int) -> pa.Table:
    """Sessions of product views, each view maybe clicked, carted and bought."""
    rng = np.random.default_rng(seed)
    sessions = int(events / EVENTS_PER_SESSION) + 1
    users = max(events // 6, 1)  # so that about 0.85 M of them show up in 10 M events
    session_user = rng.integers(0, users, sessions)
    session_start = rng.integers(0, DAYS * 86_400, sessions) * 1_000_000
    views_per_session = rng.geometric(0.25, sessions)
    view_session = np.repeat(np.arange(sessions), views_per_session)
    view_offset = rng.integers(0, 1_800, view_session.size) * 1_000_000
    product = (50_000 * rng.random(view_session.size) ** 3).astype(np.int64)  # a long tail
    parts = [(view_session, view_offset, product, 0)]
    carried, offset = np.ones(view_session.size, bool), view_offset
    for kind, chance in ((1, 0.3), (2, 0.35), (3, 0.5)):  # click, cart, purchase
        carried = carried & (rng.random(view_session.size) < chance)
        offset = offset + rng.integers(5, 600, view_session.size) * 1_000_000
        parts.append((view_session[carried], offset[carried], product[carried], kind))
    chats = rng.integers(0, sessions, view_session.size // 3)
    parts.append(
        (chats, rng.integers(0, 1_800, chats.size) * 1_000_000, -np.ones(chats.size, int), 4)
    )
    likes = rng.integers(0, sessions, view_session.size // 3)
    parts.append(
        (likes, rng.integers(0, 1_800, likes.size) * 1_000_000, -np.ones(likes.size, int), 5)
    )
    return _table(parts, session_user, session_start, rng)[:events]


def _table(
    parts: list[tuple[Any, Any, Any, int]],
    session_user: Any,
    session_start: Any,
    rng: np.random.Generator,
) -> pa.Table:
    session = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.full(p[0].size, p[3]) for p in parts])
    product = np.concatenate([p[2] for p in parts])
    ts = session_start[session] + np.concatenate([p[1] for p in parts])
    order = rng.permutation(session.size)  # logs arrive out of order
    session, kind, product, ts = session[order], kind[order], product[order], ts[order]
    names = pa.array(["view", "click", "cart", "purchase", "comment", "like"])
    amount = np.where(kind == 3, rng.integers(990, 99_900, kind.size) / 100, np.nan)
    return pa.table(
        {
            # Every event has its id: the import checks them against the store's.
            "event_id": _ids("e", np.arange(session.size)),
            "user_id": _ids("u", session_user[session]),
            "product_id": pc.if_else(pa.array(product >= 0), _ids("p", product), None),
            "event_type": pc.take(names, pa.array(kind)),
            "timestamp": pa.array(START.timestamp() * 1_000_000 + ts, pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "room_id": _ids("r", session % ROOMS),
            "session_id": _ids("s", session),
            "amount": pa.array(amount, from_pandas=True),
        }
    )


def _ids(prefix: str, numbers: Any) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


class PeakMemory:
    """Samples this process's resident memory: a spawned child inherits its parent's
    ``ru_maxrss`` high-water mark, so that figure would not be the child's own."""

    def __init__(self, interval: float = 0.02) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self.thread.start()

    def _sample(self, interval: float) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(interval)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


GIB = 1 << 30
TARGETS = {  # issue 6, on 10 M events
    "ingest_events_per_second": 200_000,
    "top_products_seconds": 1.0,
    "funnel_seconds": 3.0,
    "speedup_vs_pandas": 20,
    "peak_memory_bytes": 4 * GIB,
}


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def cpu_seconds() -> float:
    """CPU time of this process so far, DuckDB's threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_with_cpu(function: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu_before = cpu_seconds()
    seconds, result = timed(function)
    return seconds, cpu_seconds() - cpu_before, result


def pandas_top_products(csv_path: Path, queue: Any) -> None:
    """The straightforward pandas code a reader would write, timed in its own process."""
    import pandas as pd

    peak = PeakMemory()
    started = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype={"product_id": str, "user_id": str})
    stamps = pd.to_datetime(frame["timestamp"], utc=True)
    start = pd.Timestamp(WINDOW[0].isoformat(), tz="UTC")
    end = pd.Timestamp(WINDOW[1].isoformat(), tz="UTC") + pd.Timedelta(days=1)
    chosen = frame[(stamps >= start) & (stamps < end) & (frame["event_type"] == "view")]
    counts = chosen.groupby("product_id").size().reset_index(name="count")
    top = counts.sort_values(["count", "product_id"], ascending=[False, True]).head(10)
    seconds = time.perf_counter() - started
    queue.put(
        (seconds, list(zip(top["product_id"], top["count"].astype(int), strict=True)), peak.stop())
    )


def write_log(events: int, seed: int, directory: Path, queue: Any) -> None:
    """In a child process, so that generating does not count in our peak memory."""
    log = generate(events, seed)
    pq.write_table(log, directory / "log.parquet", row_group_size=1_000_000)
    pa_csv.write_csv(log, directory / "log.csv")
    queue.put(pc.count_distinct(log.column("user_id")).as_py())


def in_child(target: Callable[..., None], *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue()
    child = context.Process(target=target, args=(*args, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def run(events: int, seed: int, directory: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    users = in_child(write_log, events, seed, directory)
    parquet, csv = directory / "log.parquet", directory / "log.csv"
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    store = directory / "events.duckdb"
    ingest_seconds, ingest_cpu, ingested = timed_with_cpu(lambda: import_log(store, parquet))
    reimport_seconds, reimported = timed(lambda: import_log(store, parquet))
    engine = DuckDBEngine.for_store(store)
    window = TimeWindow.from_dates(*WINDOW)
    figures: dict[str, float] = {}
    cpu: dict[str, float] = {}
    results: dict[str, Any] = {}
    for name, report in {
        "top_products": lambda: top_products(engine, window=window),
        "funnel": lambda: funnel(
            engine, steps=["view", "click", "cart", "purchase"], window=window, window_seconds=3600
        ),
        "session_report": lambda: session_report(engine, room_id="r7", window=window),
        "profiles": lambda: build_profiles(engine, as_of=WINDOW[1]),
    }.items():
        timed(report)  # warm the file cache; the second run is the one reported
        figures[name], cpu[name], results[name] = timed_with_cpu(report)
    engine.close()
    cli_seconds, _ = timed(lambda: top_products(LogEngine.open(csv), window=window))
    duckdb_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    pandas_seconds, pandas_top, pandas_peak = in_child(pandas_top_products, csv)
    ours = [(row.product_id, row.count) for row in results["top_products"]]
    speedup = pandas_seconds / figures["top_products"]
    return {
        "events": events,
        "users": users,
        "products": 50_000,
        "seed": seed,
        "csv_bytes": csv.stat().st_size,
        "ingest_seconds": round(ingest_seconds, 3),
        "ingest_cpu_seconds": round(ingest_cpu, 3),
        "ingest_events_per_second": round(events / ingest_seconds),
        "ingest_rows_loaded": ingested.rows_loaded,
        "reimport_seconds": round(reimport_seconds, 3),
        "reimport_rows_loaded": reimported.rows_loaded,
        "reimport_skipped": reimported.skipped,
        "store_bytes": store.stat().st_size,
        "duckdb_seconds": {name: round(value, 3) for name, value in figures.items()},
        "duckdb_cpu_seconds": {name: round(value, 3) for name, value in cpu.items()},
        "profiles_users": len(results["profiles"].rows),
        "duckdb_top_products_from_csv_seconds": round(cli_seconds, 3),
        "pandas_top_products_seconds": round(pandas_seconds, 3),
        "speedup_top_products_vs_pandas": round(speedup, 1),
        "speedup_csv_path_vs_pandas": round(pandas_seconds / cli_seconds, 2),
        "same_top_products_as_pandas": ours == [(p, int(c)) for p, c in pandas_top],
        "funnel_users": [step.users for step in results["funnel"].steps],
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "peak_memory_bytes": {
            "before_ingest": baseline,  # Python with the libraries loaded
            "duckdb_side": duckdb_peak,
            "pandas_side": pandas_peak,
        },
        "targets_met": {
            "ingest": events / ingest_seconds >= TARGETS["ingest_events_per_second"],
            "top_products": figures["top_products"] < TARGETS["top_products_seconds"],
            "funnel": figures["funnel"] < TARGETS["funnel_seconds"],
            "speedup_vs_pandas": speedup >= TARGETS["speedup_vs_pandas"],
            "peak_memory": duckdb_peak < TARGETS["peak_memory_bytes"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=6)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liveshop-bench-") as directory:
        print(
            orjson.dumps(
                run(arguments.events, arguments.seed, Path(directory)), option=orjson.OPT_INDENT_2
            ).decode()
        )


if __name__ == "__main__":
    main()
