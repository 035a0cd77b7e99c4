"""``liveshop recommend train``, ``versions`` and ``rollback`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.recommend.cli import app as recommend_cli
from tests.conftest import MakeAccount
from tests.recommend.helpers import merchants, product


@pytest.fixture
def cli(cli_env: None) -> typer.Typer:
    parent = typer.Typer()
    parent.add_typer(recommend_cli, name="recommend")
    return parent


def test_train_twice_list_and_roll_back(
    cli: typer.Typer, database_url: str, make_account: MakeAccount, home: Path
) -> None:
    (shop,) = merchants(make_account, 1)
    product(database_url, shop, "Tea", "tea")
    make_account(Role.VIEWER, "someone")
    runner = CliRunner()
    first = runner.invoke(cli, ["recommend", "train", "--format", "json"])
    assert first.exit_code == 0, first.output
    facts = json.loads(first.stdout)
    assert (facts["version"], facts["current"], facts["products"]) == ("v0001", True, 1)
    assert runner.invoke(cli, ["recommend", "train"]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["recommend", "versions", "--format", "json"]).stdout)
    assert [(row["version"], row["current"]) for row in listed] == [
        ("v0001", False),
        ("v0002", True),
    ]
    back = runner.invoke(cli, ["recommend", "rollback"])
    assert back.exit_code == 0, back.output
    assert "serving recommendation model v0001" in back.stdout
    assert (home / "recommend" / "CURRENT").read_text().strip() == "v0001"
    missing = runner.invoke(cli, ["recommend", "rollback", "--to", "v0009"])
    assert missing.exit_code == 1
    assert "no recommendation model v0009" in missing.output
