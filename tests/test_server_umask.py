"""``liveshop serve`` runs under umask 077: every file the server or its libraries
create under LIVESHOP_HOME is its owner's alone (DuckDB re-creates its WAL
during each write under the process umask, whatever mode the store file has)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from liveshop import cli
from liveshop.core.settings import get_settings


@pytest.fixture
def restored_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_serve_runs_the_server_under_an_owner_only_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_umask: None
) -> None:
    seen: list[int] = []

    def run(*_args: Any, **_kwargs: Any) -> None:
        seen.append(current_umask())

    monkeypatch.setattr(uvicorn, "run", run)  # serve imports uvicorn when it runs
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LIVESHOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIVESHOP_REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve", "--port", "8999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen == [0o077]
