"""``liveshop privacy``: retention jobs and operator-initiated erasure."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat
from liveshop.privacy.data_classes import DataClass

app = typer.Typer(help="Privacy: retention jobs and erasure.", no_args_is_help=True)
console = Console()
OPERATOR_ACTOR = "operator:cli"


@app.command("retention")
def retention(
    only: Annotated[list[DataClass] | None, typer.Option("--only")] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Remove or anonymise what is past its retention period (every class, or --only)."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.privacy.retention import RETENTION, run_retention

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with unit_of_work(settings.resolved_database_url()) as session:
        runs = run_retention(session, settings=settings, only=only or None)
    if output is OutputFormat.JSON:
        typer.echo(
            orjson.dumps(
                [
                    {
                        "data_class": run.data_class.value,
                        "kept_days": RETENTION[run.data_class].days,
                        "cutoff": run.cutoff.isoformat(),
                        "removed": run.removed,
                    }
                    for run in runs
                ]
            ).decode()
        )
        return
    table = Table(title="retention")
    for column in ("data class", "kept (days)", "cutoff", "removed"):
        table.add_column(column)
    for run in runs:
        removed = ", ".join(f"{name} {count}" for name, count in run.removed.items()) or "-"
        table.add_row(
            run.data_class.value,
            str(RETENTION[run.data_class].days),
            run.cutoff.isoformat(timespec="seconds"),
            removed,
        )
    console.print(table)


@app.command("erase")
def erase(
    user_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="confirm: this cannot be undone")] = False,
) -> None:
    """Erase a user on their verified request made outside the app (audited as the operator)."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.errors import LiveShopError
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.privacy.erasure import erase_subject

    if not yes:
        console.print("[red]erasure cannot be undone: add --yes to confirm[/red]")
        raise typer.Exit(2)
    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            erased = erase_subject(
                session, user_id=user_id, settings=settings, actor=OPERATOR_ACTOR
            )
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    typer.echo(orjson.dumps({"user_id": erased.user_id, "erased": erased.erased}).decode())
