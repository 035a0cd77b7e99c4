"""``liveshop --help`` and every command's help start at once: they import no heavy
library, no domain wiring and not the app (``liveshop.cli`` loads each group from
its table entry only when the group runs or shows its own help).

The check is on the modules a fresh process has loaded, which holds on a busy
machine; the wall-clock bound beside it is loose for the same reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import typer

from liveshop.cli import COMMANDS, app

# Never needed to show help: the server, the app and its wiring, the database layer,
# the analytics engines.
HEAVY = (
    "sklearn",
    "pyspark",
    "plotly",
    "uvicorn",
    "fastapi",
    "starlette",
    "httpx",
    "sqlalchemy",
    "alembic",
    "liveshop.app",
    "liveshop.wiring",
    "pandas",
    "duckdb",
    "pyarrow",
    "numpy",
    # The settings (pydantic-settings), and Pydantic itself, which Typer 0.17 and later
    # load to build an adapter per option even for help (pyproject holds Typer below).
    "pydantic",
    "pydantic_settings",
)

PROBE = """
import json, sys
sys.argv = ["liveshop", *json.loads(sys.argv[1])]
from liveshop.cli import app
try:
    app()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_by(args: list[str]) -> tuple[str, set[str]]:
    """(standard output, modules loaded) of ``liveshop ARGS`` in a fresh process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr[-2000:]
    return result.stdout, set(report["modules"])


def heavy_in(modules: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(
        name for name in modules if any(name == h or name.startswith(f"{h}.") for h in heavy)
    )


def test_root_help_lists_every_group_without_importing_any() -> None:
    output, modules = loaded_by(["--help"])
    for name in [*COMMANDS, "serve", "demo"]:
        assert f" {name} " in output
    assert heavy_in(modules, HEAVY) == []
    domain_modules = {name.split(".")[1] for name in modules if name.startswith("liveshop.")}
    assert domain_modules == {"cli"}


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--help"],
        ["demo", "--help"],
        *([name, "--help"] for name in COMMANDS),
        ["users", "create", "--help"],
        ["draws", "verify", "--help"],
        ["privacy", "retention", "--help"],
        ["inspections", "record", "--help"],
        ["events", "import", "--help"],
        ["moderate", "evaluate", "--help"],
        ["analyze", "top-products", "--help"],
        ["profiles", "segment", "--help"],
    ],
    ids=lambda args: " ".join(args),
)
def test_each_command_help_imports_no_heavy_library(args: list[str]) -> None:
    output, modules = loaded_by(args)
    assert "Usage: liveshop" in output
    assert heavy_in(modules, HEAVY) == []


def test_every_table_entry_loads_a_group_with_the_listed_help() -> None:
    root = typer.main.get_command(app)
    context = root.make_context("liveshop", ["db"], resilient_parsing=True)
    for name, (_target, short_help) in COMMANDS.items():
        group = root.get_command(context, name)
        assert group is not None
        assert group.name == name
        assert (group.help or "").strip() == short_help, name


def test_root_help_is_quick() -> None:
    """Loose on purpose (a busy machine): about 0.25 s when idle."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "liveshop.cli", "--help"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert time.perf_counter() - started < 3.0
