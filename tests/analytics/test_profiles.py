"""Profiles, RFM and segments on both engines; on CDNOW against pandas."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql import SparkSession
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from liveshop.analytics.engines import DuckDBEngine, Engine, SparkEngine
from liveshop.analytics.profiles import build_profiles
from liveshop.analytics.segments import segment_profiles
from liveshop.cli import app
from liveshop.events.importer import read_log

CDNOW_END = date(1998, 6, 30)


def cdnow_file() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None, "the test set-up installs lifetimes (pip install --no-deps)"
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "datasets" / "CDNOW_master.txt"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    frame = pd.read_csv(cdnow_file(), sep=r"\s+", dtype={"customer_id": str, "date": str})
    assert (len(frame), frame["customer_id"].nunique()) == (69_659, 23_570)
    return frame


def write_cdnow_log(cdnow: pd.DataFrame, path: Path) -> Path:
    """CDNOW as a purchase log in its own column names, without event ids: 255 of its
    rows repeat another (a customer buying the same amount again on the same day)."""
    log = cdnow.assign(
        date=pd.to_datetime(cdnow["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d"),
        dollar_value=cdnow["dollar_value"].map(lambda value: f"{value:.2f}"),
        event_type="purchase",
    )
    assert int(log.duplicated(["customer_id", "date", "dollar_value"]).sum()) == 255
    log.to_csv(path, index=False)
    return path


CDNOW_MAPPING = {"customer_id": "user_id", "date": "timestamp", "dollar_value": "amount"}


@pytest.fixture(scope="module")
def cdnow_events(cdnow: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path = write_cdnow_log(cdnow, tmp_path_factory.mktemp("cdnow") / "cdnow.csv")
    table, report = read_log(path, mapping=CDNOW_MAPPING)
    assert (report.rows_loaded, report.skipped, report.rejected) == (69_659, {}, {})
    return table


def pandas_rfm(cdnow: pd.DataFrame) -> pd.DataFrame:
    """RFM straight from the text file: recency in whole days to the end of the
    as-of day, money in cents, quintile scores from min-ranks."""
    frame = cdnow.assign(
        day=pd.to_datetime(cdnow["date"], format="%Y%m%d"),
        cents=(cdnow["dollar_value"] * 100).round().astype("int64"),
    )
    per_user = frame.groupby("customer_id").agg(
        last=("day", "max"), frequency=("day", "size"), monetary=("cents", "sum")
    )
    end = pd.Timestamp(CDNOW_END) + pd.Timedelta(days=1)
    per_user["recency_days"] = (end - per_user["last"]).dt.days
    n = len(per_user)
    for score, column, ascending in (
        ("r", "recency_days", False),
        ("f", "frequency", True),
        ("m", "monetary", True),
    ):
        ranks = per_user[column].rank(method="min", ascending=ascending)
        per_user[f"{score}_score"] = (1 + np.floor(5 * (ranks - 1) / n)).astype(int)
    return per_user.sort_index()


def test_cdnow_rfm_matches_pandas(cdnow_events: pa.Table, cdnow: pd.DataFrame) -> None:
    """On DuckDB: Spark runs the same SQL in the small-log test below, where the
    two engines are compared field by field (CDNOW on Spark takes a minute)."""
    expected = pandas_rfm(cdnow)

    result = build_profiles(DuckDBEngine.for_table(cdnow_events), as_of=CDNOW_END)

    ours = [
        (
            r["user_id"],
            r["recency_days"],
            r["frequency"],
            r["monetary_minor_units"],
            r["r_score"],
            r["f_score"],
            r["m_score"],
        )
        for r in result.rows
    ]
    theirs = list(
        zip(
            expected.index,
            *(
                expected[c].tolist()
                for c in ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score")
            ),
            strict=True,
        )
    )
    assert ours == theirs
    assert result.missing["purchase_interval_days"] == int((expected["frequency"] == 1).sum())
    champions = sum(r["rfm_segment"] == "champions" for r in result.rows)
    assert champions == int(((expected["r_score"] == 5) & (expected["f_score"] >= 4)).sum())


def test_cdnow_segments_match_kmeans_on_pandas_features(
    cdnow_events: pa.Table, cdnow: pd.DataFrame
) -> None:
    profiles = build_profiles(DuckDBEngine.for_table(cdnow_events), as_of=CDNOW_END).rows
    expected = pandas_rfm(cdnow)
    # Independent features: CDNOW has no coupons, hours of day or watch time,
    # so those columns are constant and scale to zero.
    features = np.column_stack(
        [
            expected["recency_days"],
            expected["frequency"],
            expected["monetary"],
            np.zeros(len(expected)),
            np.zeros(len(expected)),
            np.zeros(len(expected)),
        ]
    ).astype(float)
    labels = KMeans(n_clusters=4, n_init=10, random_state=3).fit_predict(
        StandardScaler().fit_transform(features)
    )

    result = segment_profiles(profiles, k=4, seed=3)

    assert sorted(s.size for s in result.segments) == sorted(np.bincount(labels).tolist())
    assert [result.labels[user] for user in expected.index[:200]] == labels[:200].tolist()


def test_segments_with_auto_k_are_stable_for_a_seed(loaded: pa.Table) -> None:
    profiles = build_profiles(DuckDBEngine.for_table(loaded), as_of=date(2023, 1, 31)).rows

    first = segment_profiles(profiles, seed=5)
    again = segment_profiles(list(reversed(profiles)), seed=5)

    assert first == again
    assert first.k in range(2, 9)
    assert sum(segment.size for segment in first.segments) == len(profiles)
    assert all(segment.description for segment in first.segments)


def test_profiles_of_a_small_log_on_both_engines(spark: SparkSession, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "user_id,product_id,event_type,timestamp,amount,category,brand,coupon,watch_seconds\n"
        "a,P1,view,2023-03-01T20:00:00Z,,shoes,Nike,,\n"
        "a,P1,purchase,2023-03-01T20:05:00Z,100.00,shoes,Nike,true,\n"
        "a,P2,purchase,2023-03-05T20:05:00+02:00,50.50,bags,Coach,false,\n"
        "a,,comment,2023-03-05T19:00:00Z,,,,,\n"
        "a,,leave,2023-03-05T19:30:00Z,,,,,600\n"
        "b,P3,view,2023-03-09T09:00:00Z,,bags,Coach,,\n"
        "b,P3,view,2023-04-09T09:00:00Z,,bags,Coach,,\n"  # after the as-of day
    )
    events, _report = read_log(log)
    engines: list[Engine] = [DuckDBEngine.for_table(events), SparkEngine.for_table(spark, events)]

    duck, spark_result = (build_profiles(engine, as_of=date(2023, 3, 10)) for engine in engines)

    assert duck == spark_result
    a, b = duck.rows
    assert (a["recency_days"], a["frequency"], a["monetary_minor_units"]) == (5, 2, 15_050)
    assert a["purchase_interval_days"] == pytest.approx(4 - 2 / 24)  # 20:05Z to 18:05Z
    # hours 20, 20, 18, 19, 19: a tie between 19 and 20 goes to the earlier hour
    assert (a["preferred_category"], a["preferred_brand"], a["peak_hour"]) == ("shoes", "Nike", 19)
    assert (a["price_sensitivity"], a["engagement_per_minute"]) == (0.5, 0.1)
    assert a["evening_share"] == 1.0
    assert a["rfm_segment"] is not None
    assert (b["frequency"], b["recency_days"], b["preferred_category"], b["r_score"]) == (
        0,
        None,
        "bags",
        None,
    )
    assert duck.missing["recency_days"] == 1


def test_cdnow_imported_and_profiled_keeps_every_purchase(
    cdnow: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Customer 00499 bought 110 times (4,378.55 in all), 25 of them repeating an
    earlier row's day and amount: an import that dropped alike rows showed 85."""
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path / "home"))
    log = write_cdnow_log(cdnow, tmp_path / "cdnow.csv")
    mapped = [option for pair in CDNOW_MAPPING.items() for option in ("--map", "=".join(pair))]
    runner = CliRunner()

    imported = runner.invoke(app, ["events", "import", str(log), *mapped, "--format", "json"])
    again = runner.invoke(app, ["events", "import", str(log), *mapped, "--format", "json"])
    built = runner.invoke(app, ["profiles", "build", "--as-of", "1998-06-30", "--format", "json"])

    assert imported.exit_code == 0, imported.output
    summary = orjson.loads(imported.stdout)
    assert (summary["rows_read"], summary["rows_loaded"]) == (69_659, 69_659)
    assert (summary["skipped"], summary["rejected"]) == ({}, {})
    assert (summary["amount_unit_read"], summary["amount_unit_stored"]) == ("major", "minor")
    repeated = orjson.loads(again.stdout)
    assert (repeated["rows_read"], repeated["rows_loaded"]) == (69_659, 0)
    assert list(repeated["skipped"].values()) == [69_659]
    assert next(iter(repeated["skipped"])).startswith(
        f"file already imported (sha256 {summary['sha256'][:12]}"
    )
    assert built.exit_code == 0, built.output
    profiles = {row["user_id"]: row for row in orjson.loads(built.stdout)["profiles"]}
    assert (profiles["00499"]["frequency"], profiles["00499"]["monetary_minor_units"]) == (
        110,
        437_855,
    )
    assert sum(row["frequency"] for row in profiles.values()) == 69_659
