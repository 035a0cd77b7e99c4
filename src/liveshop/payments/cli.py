"""``liveshop payouts``: settle orders past their after-sales window, report what is owed."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat

app = typer.Typer(help="Settlement and payouts to shops and hosts.", no_args_is_help=True)
console = Console()


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


@app.command("settle")
def settle() -> None:
    """Settle every order whose after-sales window has closed (the server does this
    every few minutes; this runs it now)."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.payments.settlement import settle_due_orders

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with unit_of_work(settings.resolved_database_url()) as session:
        settled = settle_due_orders(session, after_sale_days=settings.after_sale_request_days)
    console.print(f"settled {settled} orders")


@app.command("report")
def report(output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE) -> None:
    """What the platform owes each shop (pending and settled) and each host."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.payments.settlement import payouts_report

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with unit_of_work(settings.resolved_database_url()) as session:
        lines = payouts_report(session)
    if output is OutputFormat.JSON:
        typer.echo(orjson.dumps([dataclasses.asdict(line) for line in lines]).decode())
        return
    table = Table(title="payouts")
    for column in ("owner", "id", "name", "pending", "payable", "currency"):
        table.add_column(column, justify="right" if column in ("pending", "payable") else "left")
    for line in lines:
        table.add_row(
            line.owner_type,
            str(line.owner_id),
            line.name,
            _yuan(line.pending),
            _yuan(line.payable),
            line.currency,
        )
    console.print(table)
