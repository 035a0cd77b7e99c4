"""``liveshop events``: load behaviour logs into the store, export it as Parquet."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from liveshop.core.errors import LiveShopError
from liveshop.core.settings import get_settings
from liveshop.events.export import export_parquet
from liveshop.events.importer import AmountUnit, LoadReport, import_log, parse_mapping

app = typer.Typer(help="Behaviour events: import logs, export Parquet.", no_args_is_help=True)
console = Console(stderr=True)


class ExportFormat(enum.StrEnum):
    PARQUET = "parquet"


def print_load_report(report: LoadReport) -> None:
    """Bad rows are always told, with the lines of the first few."""
    console.print(
        f"{report.rows_read:,} rows read, {report.rows_loaded:,} loaded, "
        f"{report.duplicates:,} duplicates, {report.bad_rows:,} bad"
    )
    for bad in report.first_bad:
        console.print(f"[yellow]  line {bad.line}: {bad.reason}[/yellow]")


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSONL or Parquet")
    ],
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="rename a column: log_name=our_name")
    ] = None,
    strict: Annotated[bool, typer.Option(help="stop at the first bad row")] = False,
    amount_unit: Annotated[AmountUnit, typer.Option()] = AmountUnit.MAJOR,
) -> None:
    """Load a behaviour log into the event store."""
    store = get_settings().event_store_path()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"reading {file.name}", total=None)
        read = 0

        def advance(rows: int) -> None:
            nonlocal read
            read += rows
            progress.update(task, description=f"reading {file.name}: {read:,} rows")

        try:
            report = import_log(
                store,
                file,
                mapping=parse_mapping(mapping or []),
                strict=strict,
                amount_unit=amount_unit,
                progress=advance,
            )
        except LiveShopError as error:
            console.print(f"[red]{error.message}[/red]")
            raise typer.Exit(1) from error
    print_load_report(report)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="directory for date=YYYY-MM-DD/ partitions")] = Path(
        "events-parquet"
    ),
    output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.PARQUET,
) -> None:
    """Write the event store as date-partitioned Parquet."""
    with console.status(f"exporting to {out} ({output_format.value})"):
        result = export_parquet(get_settings().event_store_path(), directory=out)
    console.print(f"{result.rows:,} events in {result.partitions} daily partitions under {out}")
