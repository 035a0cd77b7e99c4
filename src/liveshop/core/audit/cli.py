"""``liveshop audit``: check the audit log's hash chain."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import orjson
import typer
from rich.console import Console

from liveshop.core.output import OutputFormat

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
console = Console()


@app.command("verify")
def verify(output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE) -> None:
    """Walk the chain; exit 1 if an entry was changed, removed or reordered."""
    from liveshop.core.audit.log import verify_audit_chain
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with unit_of_work(settings.resolved_database_url(), writes=False) as session:
        report = verify_audit_chain(session)
    if output is OutputFormat.JSON:
        typer.echo(orjson.dumps(dataclasses.asdict(report)).decode())
    elif report.ok:
        span = f"{report.first_seq}..{report.last_seq}" if report.entries else "empty"
        console.print(f"[green]audit chain intact[/green]: {report.entries} entries ({span})")
    else:
        console.print(
            f"[red]audit chain broken at entry {report.first_bad_seq}[/red] "
            f"({report.problem}): {report.detail}"
        )
    if not report.ok:
        raise typer.Exit(1)
