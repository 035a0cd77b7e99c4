"""simulate -> train -> score -> evaluate through the command, and the renaming check."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liveshop.cli import app

ID_COLUMNS = ("user_id", "merchant_id", "device_id", "ip", "card_fp", "address_id", "room_id")
REGION_COLUMNS = ("ip_region", "billing_region", "shipping_region")
SMALL = ["--days", "4", "--users", "500", "--merchants", "10"]


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("risk")
    train, test = folder / "train.csv", folder / "test.csv"
    _run("risk", "simulate", "--seed", "3", *SMALL, "--bot-sale-share", "0.6", "--out", str(train))
    _run(
        "risk", "simulate", "--seed", "8", *SMALL, "--out", str(test),
        "--farm-size", "9", "--bots-per-sale", "5", "--card-testing-cards", "15",
        "--takeovers-per-day", "2", "--ring-size", "4",
    )  # fmt: skip
    model = folder / "model.joblib"
    _run("risk", "train", str(train), "--model-out", str(model))
    return train, test, model


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_simulate_writes_the_issues_columns_with_every_pattern(
    streams: tuple[Path, Path, Path],
) -> None:
    rows = _read(streams[0])
    assert list(rows[0]) == [
        "ts", "event", "user_id", "account_created_at", "device_id", "ip", "card_fp", "amount",
        "merchant_id", "room_id", "ip_region", "billing_region", "shipping_region", "address_id",
        "outcome", "label",
    ]  # fmt: skip
    labels = {row["label"] for row in rows}
    assert labels >= {
        "legit",
        "card_testing",
        "account_takeover",
        "flash_sale_bot",
        "brushing_ring",
    }
    assert sum(row["label"] != "legit" for row in rows) < 0.15 * len(rows)
    assert [row["ts"] for row in rows] == sorted(row["ts"] for row in rows)


def test_score_writes_one_decision_per_row_ignoring_the_label(
    streams: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, test, model = streams
    rows = _read(test)
    unlabelled = tmp_path / "unlabelled.csv"
    _write(
        unlabelled, [{key: value for key, value in row.items() if key != "label"} for row in rows]
    )
    relabelled = tmp_path / "relabelled.csv"
    _write(relabelled, [{**row, "label": "legit"} for row in rows])
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    _run("risk", "score", str(unlabelled), "--out", str(first), "--model", str(model))
    _run("risk", "score", str(relabelled), "--out", str(second), "--model", str(model))
    decisions = _read(first)
    assert [int(row["row"]) for row in decisions] == list(range(len(rows)))
    assert {row["decision"] for row in decisions} <= {"allow", "challenge", "review", "block"}
    assert all(0.0 <= float(row["score"]) <= 1.0 for row in decisions)
    assert decisions == _read(second)
    stopped = [row for row in decisions if row["decision"] != "allow"]
    assert stopped
    assert all(row["reasons"] for row in stopped)


def test_renaming_every_identifier_leaves_every_decision_unchanged(
    streams: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, test, model = streams
    rows = _read(test)
    rng = random.Random(5)
    names: dict[tuple[str, str], str] = {}

    def rename(kind: str, value: str) -> str:
        if not value:
            return value
        if (kind, value) not in names:
            names[(kind, value)] = f"{rng.getrandbits(64):x}-{len(names)}"
        return names[(kind, value)]

    renamed = []
    for row in rows:
        new = dict(row)
        for column in ID_COLUMNS:
            kind = "user" if column in ("user_id", "merchant_id") else column
            new[column] = rename(kind, row[column])
        for column in REGION_COLUMNS:
            new[column] = rename("region", row[column])
        renamed.append(new)
    renamed_file = tmp_path / "renamed.csv"
    _write(renamed_file, renamed)
    original, after = tmp_path / "original.csv", tmp_path / "after.csv"
    _run("risk", "score", str(test), "--out", str(original), "--model", str(model))
    _run("risk", "score", str(renamed_file), "--out", str(after), "--model", str(model))
    before_rows, after_rows = _read(original), _read(after)
    assert [(row["decision"], row["score"]) for row in before_rows] == [
        (row["decision"], row["score"]) for row in after_rows
    ]
    assert any(row["decision"] != "allow" for row in before_rows)


def test_evaluate_reports_every_pattern_and_latency(streams: tuple[Path, Path, Path]) -> None:
    _, test, model = streams
    report = json.loads(
        _run("risk", "evaluate", str(test), "--model", str(model), "--format", "json")
    )
    overall = report["overall"]
    assert set(report["patterns"]) >= {"card_testing", "account_takeover", "flash_sale_bot"}
    assert overall["abuse_rows"] + overall["legit_rows"] == report["rows"]
    # A small stream and a small model: far looser than the issue's targets, which
    # the note measures on full-size held-out streams.
    assert overall["recall"] >= 0.6
    assert overall["false_positive_rate"] <= 0.03
    assert report["latency_ms"]["p50"] < 5


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
