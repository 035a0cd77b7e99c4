"""``liveshop events``: load behaviour logs into the store, export it as Parquet."""

from __future__ import annotations

import enum
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from liveshop.core.output import OutputFormat
from liveshop.events.load_report import AmountUnit, LoadReport

app = typer.Typer(help="Behaviour events: import logs, export Parquet.", no_args_is_help=True)
console = Console(stderr=True)


class ExportFormat(enum.StrEnum):
    PARQUET = "parquet"


AMOUNTS_STORED = {
    AmountUnit.MAJOR: "amounts read in major units (19.99), stored in minor units (1999)",
    AmountUnit.MINOR: "amounts read and stored in minor units (1999 is 19.99)",
}


def load_summary(report: LoadReport) -> dict[str, Any]:
    """The report as ``--format json`` prints it: every row read is loaded, skipped
    (rows per reason) or rejected (rows per reason, and the first few lines)."""
    return {
        "file": report.file_name,
        "sha256": report.sha256,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_skipped": report.skipped_rows,
        "rows_rejected": report.bad_rows,
        "skipped": report.skipped,
        "rejected": report.rejected,
        "first_rejected_lines": [asdict(bad) for bad in report.first_bad],
        "amount_unit_read": report.amount_unit.value,
        "amount_unit_stored": AmountUnit.MINOR.value,
    }


def load_report_table(report: LoadReport) -> Table:
    table = Table(title=report.file_name)
    table.add_column("rows")
    table.add_column("count", justify="right")
    table.add_row("read", f"{report.rows_read:,}")
    table.add_row("loaded", f"{report.rows_loaded:,}")
    for reason, rows in report.skipped.items():
        table.add_row(f"skipped: {reason}", f"{rows:,}")
    for reason, rows in report.rejected.items():
        table.add_row(f"rejected: {reason}", f"{rows:,}")
    return table


def print_load_report(report: LoadReport, *, to: Console = console) -> None:
    """The summary table and the amounts' unit; rejected rows are always told, with the
    lines of the first few."""
    to.print(load_report_table(report))
    to.print(AMOUNTS_STORED[report.amount_unit])
    for bad in report.first_bad:
        to.print(f"[yellow]  line {bad.line}: {bad.reason}[/yellow]")


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSONL or Parquet")
    ],
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="rename a column: log_name=our_name")
    ] = None,
    strict: Annotated[bool, typer.Option(help="stop at the first bad row")] = False,
    amount_unit: Annotated[
        AmountUnit, typer.Option(help="how the log writes money; stored in minor units")
    ] = AmountUnit.MAJOR,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Load a behaviour log into the event store. Rows are skipped only when their
    event_id is stored already (or repeats an earlier line's), or when the same file
    (by SHA-256) was imported before; identical rows without ids are all kept."""
    from liveshop.core.errors import LiveShopError
    from liveshop.core.settings import get_settings
    from liveshop.events.importer import import_log, parse_mapping

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
    if output is OutputFormat.JSON:
        typer.echo(orjson.dumps(load_summary(report), option=orjson.OPT_INDENT_2).decode())
    else:
        print_load_report(report, to=Console())


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="directory for date=YYYY-MM-DD/ partitions")] = Path(
        "events-parquet"
    ),
    output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.PARQUET,
) -> None:
    """Write the event store as date-partitioned Parquet."""
    from liveshop.core.settings import get_settings
    from liveshop.events.export import export_parquet

    with console.status(f"exporting to {out} ({output_format.value})"):
        result = export_parquet(get_settings().event_store_path(), directory=out)
    console.print(f"{result.rows:,} events in {result.partitions} daily partitions under {out}")
