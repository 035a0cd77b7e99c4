"""``liveshop privacy``: retention and operator erasure, as the CLI registers them."""

from __future__ import annotations

import orjson
import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from liveshop.accounts.models import Role, User
from liveshop.core.audit.models import AuditEntry
from liveshop.privacy.cli import app as privacy_cli
from tests.conftest import MakeAccount


@pytest.fixture
def cli(cli_env: None) -> typer.Typer:
    parent = typer.Typer()
    parent.add_typer(privacy_cli, name="privacy")
    return parent


def test_retention_runs_every_class_and_reports_json(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["privacy", "retention", "--format", "json"])
    assert result.exit_code == 0, result.output
    runs = orjson.loads(result.output)
    assert [run["data_class"] for run in runs] == [
        "behaviour_events",
        "chat_messages",
        "api_tokens",
        "consent_records",
        "audit_log",
        "order_addresses",
    ]
    assert runs[0]["kept_days"] == 180
    assert runs[2]["removed"] == {"api_tokens": 0}
    only = CliRunner().invoke(cli, ["privacy", "retention", "--only", "api_tokens"])
    assert only.exit_code == 0, only.output
    assert "api_tokens" in only.output


def test_an_operator_erases_a_user_with_confirmation(
    cli: typer.Typer, make_account: MakeAccount, session: Session
) -> None:
    viewer = make_account(Role.VIEWER)
    unconfirmed = CliRunner().invoke(cli, ["privacy", "erase", str(viewer.id)])
    assert unconfirmed.exit_code == 2
    assert session.get_one(User, viewer.id).username == viewer.username
    session.rollback()
    result = CliRunner().invoke(cli, ["privacy", "erase", str(viewer.id), "--yes"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["erased"]["account"]["tokens_revoked"] == 1
    assert session.get_one(User, viewer.id).username == f"erased-{viewer.id}"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
    assert (entry.actor, entry.subject) == ("operator:cli", f"user:{viewer.id}")
    session.rollback()  # SQLite: let go of the write lock the reads took
    missing = CliRunner().invoke(cli, ["privacy", "erase", "999999", "--yes"])
    assert missing.exit_code == 1
    assert "user 999999 not found" in missing.output
