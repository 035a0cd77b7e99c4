"""The commands scripts call: JSON shapes on stdout, bad rows on stderr."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from liveshop.cli import app

LOG = (
    "user_id,product_id,event_type,timestamp,room_id\n"
    "u1,010,view,2023-01-01T10:00:00Z,r1\n"
    "u2,010,view,2023-01-31T23:59:59Z,r1\n"
    "u2,9,view,2023-01-02T10:00:00Z,r1\n"
    "u3,9,view,2023-01-02T10:00:00+08:00,r1\n"
    "u3,8,view,2023-02-01T00:00:00Z,r1\n"  # after the window
    "u1,010,click,2023-01-01T10:10:00Z,r1\n"
    "u1,010,purchase,2023-01-01T10:30:00Z,r1\n"
    "u4,010,view,not-a-time,r1\n"
)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    return path


def test_top_products_prints_ids_as_written_ties_by_id(log: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            "top-products",
            str(log),
            "--start",
            "2023-01-01",
            "--end",
            "2023-01-31",
            "--format",
            "json",
        ],
    )

    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == [
        {"product_id": "010", "count": 2},
        {"product_id": "9", "count": 2},
    ]
    assert "line 9: unreadable timestamp" in result.stderr


def test_funnel_prints_the_documented_shape(log: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            "funnel",
            str(log),
            "--steps",
            "view,click,purchase",
            "--window",
            "1h",
            "--format",
            "json",
        ],
    )

    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "steps": [
            {
                "step": "view",
                "users": 3,
                "conversion_from_previous": 1.0,
                "conversion_overall": 1.0,
                "median_seconds_from_previous": None,
                "drop_off": 0,
            },
            {
                "step": "click",
                "users": 1,
                "conversion_from_previous": 1 / 3,
                "conversion_overall": 1 / 3,
                "median_seconds_from_previous": 600.0,
                "drop_off": 2,
            },
            {
                "step": "purchase",
                "users": 1,
                "conversion_from_previous": 1.0,
                "conversion_overall": 1 / 3,
                "median_seconds_from_previous": 1200.0,
                "drop_off": 0,
            },
        ]
    }


def test_strict_import_fails_naming_the_line(
    log: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path / "home"))

    result = CliRunner().invoke(app, ["events", "import", str(log), "--strict"])

    assert result.exit_code == 1
    assert "line 9: unreadable timestamp" in result.stderr


def test_import_then_report_from_the_store(
    log: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path / "home"))

    imported = CliRunner().invoke(app, ["events", "import", str(log)])
    report = CliRunner().invoke(
        app, ["analyze", "session-report", "--room", "r1", "--format", "json"]
    )

    assert imported.exit_code == 0, imported.output
    assert "8 rows read, 7 loaded, 0 duplicates, 1 bad" in imported.stderr
    figures = orjson.loads(report.stdout)
    assert (figures["unique_viewers"], figures["views"], figures["orders"]) == (3, 5, 1)
