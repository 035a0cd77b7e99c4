"""The seed's question on a behaviour-log file, three ways, side by side in one run.

The question: which products were viewed most in January 2023? Asked of a CSV
log (``user_id, product_id, event_type, timestamp``) end to end, each way in a
fresh process (start-up, imports and reading the file included):

- ``pandas``: the seed's code (read_csv, parse the timestamps, keep January 2023
  and the views, ``value_counts().head(10)``);
- ``duckdb``: DuckDB alone in a fresh Python process (``read_csv``, filter,
  ``GROUP BY``);
- ``liveshop``: ``liveshop analyze top-products LOG.csv --start 2023-01-01
  --end 2023-01-31 --event-type view --top 10 --format json``.

Each is run ``--repeat`` times (in turn, under ``nice``), and the median wall time
and peak resident memory (``/usr/bin/time``) reported; the three answers must be
the same (the script fails otherwise). Prints JSON, with the load average, since
the machine may be shared.

    python benchmarks/analyze_file.py                       # 3 M rows
    python benchmarks/analyze_file.py --rows 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

PRODUCTS = 60_000
USERS = 400_000
TARGETS = {"speedup_vs_pandas": 2.0, "slowdown_vs_duckdb": 2.0}
VENV_BIN = Path(sys.executable).parent

PANDAS = """
import sys, json
import pandas as pd
df = pd.read_csv(sys.argv[1])
df["timestamp"] = pd.to_datetime(df["timestamp"])
january = df[(df["timestamp"] >= "2023-01-01") & (df["timestamp"] < "2023-02-01")]
views = january[january["event_type"] == "view"]
top = views["product_id"].value_counts().head(10)
print(json.dumps([[str(product), int(count)] for product, count in top.items()]))
"""

DUCKDB = """
import sys, json
import duckdb
duckdb.execute("SET enable_progress_bar = false")  # its bar is printed on standard output
rows = duckdb.sql(
    "SELECT product_id, count(*) AS n FROM read_csv($path) "
    "WHERE event_type = 'view' AND timestamp >= TIMESTAMP '2023-01-01' "
    "AND timestamp < TIMESTAMP '2023-02-01' "
    "GROUP BY product_id ORDER BY n DESC, product_id LIMIT 10",
    params={"path": sys.argv[1]},
).fetchall()
print(json.dumps([[str(product), int(count)] for product, count in rows]))
"""


def generate(rows: int, path: Path, seed: int = 19) -> None:
    """Three months (December to February) of events; product popularity has a
    long tail, so the top ten are clear; UUID user ids, as many logs have."""
    rng = np.random.default_rng(seed)
    users = pa.array([str(uuid.UUID(bytes=rng.bytes(16))) for _ in range(USERS)])
    products = pa.array([f"SKU-{number:08d}" for number in range(PRODUCTS)])
    kinds = pa.array(["view", "click", "cart", "purchase"])
    start = np.datetime64("2022-12-01T00:00:00", "s").astype(np.int64)
    end = np.datetime64("2023-03-01T00:00:00", "s").astype(np.int64)
    with pa_csv.CSVWriter(
        str(path),
        pa.schema(
            [(name, pa.string()) for name in ("user_id", "product_id", "event_type", "timestamp")]
        ),
        write_options=pa_csv.WriteOptions(quoting_style="none"),
    ) as writer:
        for offset in range(0, rows, 1_000_000):
            size = min(1_000_000, rows - offset)
            popularity = (PRODUCTS * rng.random(size) ** 2).astype(np.int64)
            stamps = rng.integers(start, end, size).astype("datetime64[s]")
            writer.write_table(
                pa.table(
                    {
                        "user_id": users.take(pa.array(rng.integers(0, USERS, size))),
                        "product_id": products.take(pa.array(popularity)),
                        "event_type": kinds.take(
                            pa.array(rng.choice(4, size, p=[0.7, 0.15, 0.1, 0.05]))
                        ),
                        "timestamp": pc.strftime(pa.array(stamps), format="%Y-%m-%d %H:%M:%S"),
                    }
                )
            )


def command(way: str, log: Path) -> list[str]:
    python = str(VENV_BIN / "python")
    if way == "pandas":
        return [python, "-c", PANDAS, str(log)]
    if way == "duckdb":
        return [python, "-c", DUCKDB, str(log)]
    return [
        str(VENV_BIN / "liveshop"),
        "analyze",
        "top-products",
        str(log),
        "--start",
        "2023-01-01",
        "--end",
        "2023-01-31",
        "--event-type",
        "view",
        "--top",
        "10",
        "--format",
        "json",
    ]


def run_once(way: str, log: Path) -> tuple[float, float, int, list[tuple[str, int]]]:
    """(wall seconds, CPU seconds, peak RSS bytes, answer) of one fresh process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
        timer = ["nice", "-n", "5", "/usr/bin/time", "-o", timing.name, "-f", "%e %M %U %S"]
        done = subprocess.run(
            [*timer, *command(way, log)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{way} failed:\n{done.stderr[-3000:]}")
        seconds, kilobytes, user, system = timing.read().split()[-4:]
    parsed = orjson.loads(done.stdout)
    answer = [
        (row["product_id"], row["count"]) if isinstance(row, dict) else (row[0], row[1])
        for row in parsed
    ]
    return float(seconds), float(user) + float(system), int(kilobytes) * 1024, answer


def measure(log: Path, repeat: int) -> dict[str, Any]:
    ways = ("pandas", "duckdb", "liveshop")
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    cpu: dict[str, list[float]] = {way: [] for way in ways}
    memory: dict[str, list[int]] = {way: [] for way in ways}
    answers: dict[str, list[tuple[str, int]]] = {}
    load = [os.getloadavg()[0]]
    for round_number in range(repeat):
        order = ways[round_number % 3 :] + ways[: round_number % 3]  # no way always first
        for way in order:
            wall, cpu_seconds, peak, answer = run_once(way, log)
            seconds[way].append(wall)
            cpu[way].append(cpu_seconds)
            memory[way].append(peak)
            answers[way] = sorted(answer, key=lambda item: (-item[1], item[0]))
        load.append(os.getloadavg()[0])
    same = answers["pandas"] == answers["duckdb"] == answers["liveshop"]
    median = {way: statistics.median(values) for way, values in seconds.items()}
    peak = {way: max(values) for way, values in memory.items()}
    speedup = median["pandas"] / median["liveshop"]
    slowdown = median["liveshop"] / median["duckdb"]
    return {
        "rows": sum(1 for _ in log.open("rb")) - 1,
        "csv_bytes": log.stat().st_size,
        "repeat": repeat,
        "seconds_median": {way: round(value, 3) for way, value in median.items()},
        "seconds_all": seconds,
        # CPU time varies less than wall time on a shared machine
        "cpu_seconds_median": {way: round(statistics.median(v), 3) for way, v in cpu.items()},
        "peak_rss_bytes": peak,
        "speedup_liveshop_vs_pandas": round(speedup, 2),
        "liveshop_over_duckdb_alone": round(slowdown, 2),
        "same_answer": same,
        "answer": answers["liveshop"],
        "load_average_1m": load,
        "cpus": os.cpu_count(),
        "targets_met": {
            "at_least_2x_faster_than_pandas": speedup >= TARGETS["speedup_vs_pandas"],
            "within_2x_of_duckdb_alone": slowdown <= TARGETS["slowdown_vs_duckdb"],
            "memory_no_more_than_pandas": peak["liveshop"] <= peak["pandas"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--log", type=Path, help="use this CSV instead of generating one")
    parser.add_argument("--keep", type=Path, help="write the generated CSV here and keep it")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liveshop-analyze-file-") as directory:
        log = arguments.log or arguments.keep or Path(directory) / "log.csv"
        if arguments.log is None:
            generate(arguments.rows, log)
        result = measure(log, arguments.repeat)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    if not result["same_answer"]:
        raise SystemExit("the three ways gave different answers")


if __name__ == "__main__":
    main()
