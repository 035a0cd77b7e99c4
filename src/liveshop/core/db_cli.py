"""``liveshop db``: the database schema (help imports no library of the command's)."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="Database schema.", no_args_is_help=True)
console = Console()


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations to the configured database."""
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings

    upgrade_database(get_settings().resolved_database_url(), revision)
    console.print(f"[green]database at {revision}[/green]")
