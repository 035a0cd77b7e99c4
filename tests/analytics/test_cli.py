"""The commands scripts call: JSON shapes on stdout, bad rows on stderr."""

from __future__ import annotations

import hashlib
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
    assert table_rows(imported.stdout) == [
        ["read", "8"],
        ["loaded", "7"],
        ["rejected: unreadable timestamp", "1"],
    ]
    assert "line 9: unreadable timestamp" in imported.stdout
    figures = orjson.loads(report.stdout)
    assert (figures["unique_viewers"], figures["views"], figures["orders"]) == (3, 5, 1)
    assert (figures["gmv_minor_units"], figures["gpm_minor_units"]) == (0, 0.0)


def table_rows(printed: str) -> list[list[str]]:
    """The cells of a rich table's body rows (lines drawn with │)."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in printed.splitlines()
        if line.strip().startswith("│") and "count" not in line
    ]


PURCHASES = (
    "event_id,user_id,event_type,timestamp,amount,room_id,product_id\n"
    "e1,u1,purchase,2023-01-01T10:00:00Z,1556.34,r1,P1\n"
    ",u1,purchase,2023-01-01T11:00:00Z,9.90,r1,P1\n"
    ",u1,purchase,2023-01-01T11:00:00Z,9.90,r1,P1\n"  # the same again: kept
    "e1,u1,purchase,2023-01-01T10:00:00Z,1556.34,r1,P1\n"  # a retried send: skipped
    "e2,u2,purchase,2023-01-01T12:00:00Z,5.00,r1,P1\n"
)


def test_import_summary_counts_each_reason_and_says_the_amount_unit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")  # the file's reason on one line
    log = tmp_path / "purchases.csv"
    log.write_text(PURCHASES)
    later = tmp_path / "later.csv"
    header, *_rows, last = PURCHASES.splitlines()
    later.write_text(f"{header}\n{last}\n")  # e2 again

    first = CliRunner().invoke(app, ["events", "import", str(log), "--format", "json"])
    second = CliRunner().invoke(app, ["events", "import", str(later)])
    again = CliRunner().invoke(app, ["events", "import", str(log)])

    assert first.exit_code == 0, first.output
    assert orjson.loads(first.stdout) == {
        "file": "purchases.csv",
        "sha256": hashlib.sha256(PURCHASES.encode()).hexdigest(),
        "rows_read": 5,
        "rows_loaded": 4,
        "rows_skipped": 1,
        "rows_rejected": 0,
        "skipped": {"event_id repeated in the file": 1},
        "rejected": {},
        "first_rejected_lines": [],
        "amount_unit_read": "major",
        "amount_unit_stored": "minor",
    }
    assert table_rows(second.stdout) == [
        ["read", "1"],
        ["loaded", "0"],
        ["skipped: event_id already stored", "1"],
    ]
    assert "amounts read in major units (19.99), stored in minor units (1999)" in second.stdout
    [read, loaded, skipped] = table_rows(again.stdout)
    assert (read, loaded, skipped[1]) == (["read", "5"], ["loaded", "0"], "5")
    assert skipped[0].startswith("skipped: file already imported (sha256 ")


def test_money_says_its_unit_in_tables_and_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """u1 spent 1,556.34 + 2 x 9.90 = 1,576.14: shown as 157614 minor units, never bare."""
    monkeypatch.setenv("COLUMNS", "400")  # the report's table on one line per row
    log = tmp_path / "purchases.csv"
    log.write_text(PURCHASES)
    profiles_out = tmp_path / "profiles.csv"

    built = CliRunner().invoke(
        app, ["profiles", "build", str(log), "--as-of", "2023-01-31", "--format", "json"]
    )
    written = CliRunner().invoke(
        app, ["profiles", "build", str(log), "--as-of", "2023-01-31", "--out", str(profiles_out)]
    )
    room = CliRunner().invoke(
        app, ["analyze", "session-report", str(log), "--room", "r1", "--format", "json"]
    )
    room_table = CliRunner().invoke(app, ["analyze", "session-report", str(log), "--room", "r1"])

    assert built.exit_code == 0, built.output
    u1 = orjson.loads(built.stdout)["profiles"][0]
    assert (u1["user_id"], u1["frequency"], u1["monetary_minor_units"]) == ("u1", 3, 157_614)
    assert "monetary" not in u1
    assert written.exit_code == 0, written.output
    header = profiles_out.read_text().splitlines()[0]
    assert '"monetary_minor_units"' in header.split(",")
    report = orjson.loads(room.stdout)
    assert report["gmv_minor_units"] == 157_614 + 500
    assert [line["gmv_minor_units"] for line in report["products"]] == [158_114]
    assert not {"gmv", "gpm"} & report.keys()
    assert room_table.exit_code == 0, room_table.output
    assert {"gmv_minor_units", "gpm_minor_units"} <= set(room_table.stdout.split())
