"""``liveshop inspections``: draw a sampling inspection, record results."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat

if TYPE_CHECKING:  # the command's help needs neither SQLAlchemy nor the models
    from liveshop.core.errors import LiveShopError
    from liveshop.governance.models import Inspection

app = typer.Typer(help="Sampling inspections (定期抽检).", no_args_is_help=True)
console = Console()


class SampleOf(enum.StrEnum):
    PRODUCTS = "products"
    ORDERS = "orders"


class Result(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"


def _row(inspection: Inspection) -> dict[str, object]:
    return {
        "id": inspection.id,
        "target_type": inspection.target_type.value,
        "target_id": inspection.target_id,
        "shop_id": inspection.shop_id,
        "seed": inspection.seed,
        "rate": inspection.rate,
        "result": inspection.result.value,
        "findings": inspection.findings,
    }


def _print(rows: list[dict[str, object]], output: OutputFormat, title: str) -> None:
    if output is OutputFormat.JSON:
        for row in rows:
            typer.echo(orjson.dumps(row).decode())
        return
    columns = ("id", "target_type", "target_id", "shop_id", "result", "findings")
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row[column] is None else str(row[column]) for column in columns))
    console.print(table)


def _fail(error: LiveShopError) -> None:
    console.print(f"[red]{error.message}[/red] ({error.code})")
    raise typer.Exit(1)


@app.command("sample")
def sample(
    rate: Annotated[str, typer.Option(help="the share to pick, in (0, 1], e.g. 0.05")],
    seed: Annotated[str | None, typer.Option(help="the same seed draws the same picks")] = None,
    of: Annotated[SampleOf, typer.Option("--of")] = SampleOf.PRODUCTS,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Pick products or orders at random, reproducibly, as pending inspections."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.errors import LiveShopError
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.governance import inspections
    from liveshop.governance.models import InspectionTarget

    targets = {SampleOf.PRODUCTS: InspectionTarget.PRODUCT, SampleOf.ORDERS: InspectionTarget.ORDER}
    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            picked = inspections.sample_inspections(
                session, of=targets[of], rate=inspections.parse_rate(rate), seed=seed
            )
            rows = [_row(item) for item in picked]
    except LiveShopError as error:
        _fail(error)
        return
    seed_used = rows[0]["seed"] if rows else seed
    _print(rows, output, f"{len(rows)} {of.value} picked (seed {seed_used})")


@app.command("record")
def record(
    inspection_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
    result: Annotated[Result, typer.Option("--result")],
    findings: Annotated[str, typer.Option("--findings")] = "",
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Record an inspection's result; a failed product is delisted."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.errors import LiveShopError
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.governance import inspections
    from liveshop.governance.models import InspectionResult

    results = {Result.PASS: InspectionResult.PASS, Result.FAIL: InspectionResult.FAIL}
    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            inspection = inspections.record_inspection(
                session, inspection_id=inspection_id, result=results[result], findings=findings
            )
            row = _row(inspection)
    except LiveShopError as error:
        _fail(error)
        return
    _print([row], output, f"inspection {inspection_id}: {result.value}")
