"""Where report SQL runs: DuckDB (embedded default) or Spark, behind one interface.

Every report is one SQL text over a view named ``events`` in the flat shape of
``liveshop.events.store.ANALYTICS_COLUMNS``. The text is written in the subset
both engines accept (no dialect-specific functions, times as epoch
microseconds, integer arithmetic through ``floor``), so the same string runs on
both: there is nothing to transpile and nothing to drift.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # imported where used: the commands' help needs neither DuckDB nor Arrow
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs published
    from pyspark.sql import SparkSession


SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "DOUBLE": "double", "BOOLEAN": "boolean"}


class EngineName(enum.StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


class Engine(Protocol):
    name: EngineName

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run one report query over the ``events`` view."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class CountsInOneScan(Protocol):
    """An engine over a log file that answers one grouped count in the same scan
    that validates the rows (``log_view.LogEngine``)."""

    def count_by(self, key: str, condition: str) -> list[tuple[str, int]]:
        """(key, rows) of the good rows meeting ``condition`` whose key is set."""
        ...


class DuckDBEngine:
    name = EngineName.DUCKDB

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @classmethod
    def for_table(cls, events: pa.Table) -> DuckDBEngine:
        """Events already in memory (a loaded log): scanned in place, not copied."""
        connection = _connect()
        connection.register("events", events)
        return cls(connection)

    @classmethod
    def for_store(cls, path: Path) -> DuckDBEngine:
        """The platform's event store: its own and imported events as one view."""
        from liveshop.events.store import ANALYTICS_QUERY, connect_store

        connection = connect_store(path)
        connection.execute("SET enable_progress_bar_print = false")  # stdout is the report's
        connection.execute(f"CREATE OR REPLACE TEMP VIEW events AS {ANALYTICS_QUERY}")
        return cls(connection)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        result = self.connection.execute(sql)
        names = [column[0] for column in result.description or []]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def close(self) -> None:
        self.connection.close()


class SparkEngine:
    name = EngineName.SPARK

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    @classmethod
    def for_table(cls, spark: SparkSession, events: pa.Table) -> SparkEngine:
        spark.createDataFrame(events).createOrReplaceTempView("events")
        return cls(spark)

    @classmethod
    def for_parquet(cls, spark: SparkSession, directory: Path) -> SparkEngine:
        """Date-partitioned Parquet as written by ``liveshop events export``; a column
        added to the flat shape since the export was written reads as NULL."""
        from pyspark.sql.functions import lit

        from liveshop.events.store import ANALYTICS_COLUMNS

        frame = spark.read.parquet(str(directory))
        for name, kind in ANALYTICS_COLUMNS.items():
            if name not in frame.columns:
                frame = frame.withColumn(name, lit(None).cast(SPARK_TYPES[kind]))
        frame.createOrReplaceTempView("events")
        return cls(spark)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        self.spark.catalog.dropTempView("events")


def _connect() -> duckdb.DuckDBPyConnection:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar_print = false")  # stdout is the report's
    return connection


def start_spark(*, cores: int = 1, shuffle_partitions: int = 2) -> SparkSession:
    """A local Spark session in UTC, quiet, without the web UI.

    Imported here, not at module level: PySpark is an optional extra."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("liveshop-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Reports are many short queries: the quick C1 compiler beats the slow
        # optimising one (a test run measured about half the time).
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
