"""One Spark session for the whole test run; every report runs on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from liveshop.analytics.engines import DuckDBEngine, Engine, SparkEngine, start_spark
from liveshop.core.settings import get_settings
from liveshop.events.importer import read_log
from tests.analytics.fixtures import Event, random_events, write_csv


@pytest.fixture(autouse=True)
def settings_read_afresh() -> Iterator[None]:
    """A test that sets LIVESHOP_HOME gets its own event store: the settings are read
    again (something earlier in the session may have cached them with another home,
    and the store would then keep a file "already imported" from a previous run)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = start_spark(cores=1, shuffle_partitions=1)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def events() -> list[Event]:
    return random_events(seed=7)


@pytest.fixture(scope="session")
def loaded(events: list[Event], tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path: Path = tmp_path_factory.mktemp("log") / "events.csv"
    write_csv(path, events)
    table, report = read_log(path)
    assert report.bad_rows == 0
    return table


@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest, loaded: pa.Table) -> Iterator[Engine]:
    if request.param == "duckdb":
        opened: Engine = DuckDBEngine.for_table(loaded)
    else:
        opened = SparkEngine.for_table(request.getfixturevalue("spark"), loaded)
    yield opened
    opened.close()
