"""The scale-out path: the store exported as daily Parquet, read by Spark."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from liveshop.analytics.engines import DuckDBEngine, SparkEngine
from liveshop.analytics.reports.common import TimeWindow
from liveshop.analytics.reports.top_products import top_products
from liveshop.events.export import export_parquet
from liveshop.events.importer import import_log
from tests.analytics.fixtures import Event, write_csv


def test_spark_on_exported_partitions_agrees_with_duckdb_on_the_store(
    spark: SparkSession, events: list[Event], tmp_path: Path
) -> None:
    log, store, out = tmp_path / "log.csv", tmp_path / "events.duckdb", tmp_path / "parquet"
    write_csv(log, events)
    import_log(store, log)
    export_parquet(store, directory=out)
    on_store = DuckDBEngine.for_store(store)
    on_parquet = SparkEngine.for_parquet(spark, out)

    expected = top_products(on_store, window=TimeWindow(), event_type="purchase", top=5)

    assert top_products(on_parquet, window=TimeWindow(), event_type="purchase", top=5) == expected
    assert len(expected) == 5
    on_store.close()
    on_parquet.close()
