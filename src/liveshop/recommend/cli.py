"""``liveshop recommend``: evaluate models on a log, simulate a shop log."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from liveshop.core.errors import LiveShopError
from liveshop.core.output import OutputFormat

if TYPE_CHECKING:
    from liveshop.recommend.evaluation import Evaluation

# The commands import NumPy, SciPy and implicit when they run (``liveshop recommend
# --help`` stays instant: tests/test_cli_startup.py).

app = typer.Typer(
    help="Recommendations: evaluate models on a log, train, model versions and rollback.",
    no_args_is_help=True,
)
console = Console(stderr=True)
stdout = Console()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    )


@app.command("evaluate")
def evaluate_command(
    file: Annotated[Path, typer.Argument(help="user_id, item_id, timestamp[, weight] rows")],
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="models beside the baselines (item_cf, content, popularity_decay, "
            "hybrid); all when none is named",
        ),
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
    recommendations: Annotated[
        Path | None,
        typer.Option(
            help="write the best model's top k per evaluated user: user_id, rank, item_id"
        ),
    ] = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="our column=the file's, e.g. --map user_id=customer"),
    ] = None,
    items: Annotated[
        Path | None,
        typer.Option(
            help="item attributes (item_id and text columns); default: FILE's .item sibling"
        ),
    ] = None,
) -> None:
    """Split each user's rows by time, then measure every model and baseline."""
    from liveshop.recommend.attributes import read_item_attributes, sibling_items_file
    from liveshop.recommend.evaluation import evaluate
    from liveshop.recommend.interactions import parse_column_map, read_interactions

    try:
        data = read_interactions(file, column_map=parse_column_map(column_map or []))
        items_file = items or sibling_items_file(file)
        attributes = read_item_attributes(items_file, data.item_ids) if items_file else None
        with _progress() as progress:
            task = progress.add_task("reading", total=None)
            result = evaluate(
                data,
                attributes=attributes,
                k=k,
                models=model or (),
                step=lambda text: progress.update(task, description=text),
            )
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from error
    if recommendations:
        _write_recommendations(result, data.user_ids, data.item_ids, recommendations)
    report = result.as_dict(source=str(file))
    if output is OutputFormat.JSON:
        stdout.print_json(json.dumps(report))
    else:
        stdout.print(_table(report))


def _write_recommendations(
    result: Evaluation, user_ids: list[str], item_ids: list[str], out: Path
) -> None:
    best = result.best
    users = result.test_users
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("user_id", "rank", "item_id"))
        for user, row in zip(users.tolist(), best.lists.tolist(), strict=True):
            for rank, item in enumerate(row, start=1):
                writer.writerow((user_ids[user], rank, item_ids[item]))
    console.print(f"{best.name}'s top {result.k} for {len(users):,} users in {out}")


def _table(report: dict[str, object]) -> Table:
    models = report["models"]
    assert isinstance(models, dict)
    table = Table(title=f"{report['file']}: {report['split']}")
    columns = [key for key in next(iter(models.values())) if key not in ("params",)]
    table.add_column("model")
    for column in columns:
        table.add_column(column, justify="right")
    for name, figures in models.items():
        table.add_row(name, *(str(figures[column]) for column in columns))
    return table


@app.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Argument(help="the purchases CSV (items go beside, .item)")],
    users: Annotated[int, typer.Option(min=1)] = 2000,
    items: Annotated[int, typer.Option(min=10)] = 1500,
    purchases_per_user: Annotated[float, typer.Option(min=1)] = 20.0,
    repeat_share: Annotated[float, typer.Option(min=0, max=1)] = 0.6,
    seed: int = 1,
) -> None:
    """Write a shop-like purchase log where people buy their staples again."""
    from liveshop.recommend.simulate import ShopLogOptions, write_shop_log

    options = ShopLogOptions(
        users=users,
        items=items,
        purchases_per_user=purchases_per_user,
        repeat_share=repeat_share,
        seed=seed,
    )
    purchases, attributes = write_shop_log(options, out)
    console.print(f"purchases in {purchases}, item attributes in {attributes}")


@app.command("train")
def train_command(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Train a new model version from the behaviour store and the catalogue."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.recommend import model_store
    from liveshop.recommend.training import train

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with (
        _progress() as progress,
        unit_of_work(settings.resolved_database_url(), writes=False) as session,
    ):
        task = progress.add_task("starting", total=None)
        version = train(
            session, settings, step=lambda text: progress.update(task, description=text)
        )
    facts = next(row for row in model_store.describe(settings.home) if row["version"] == version)
    if output is OutputFormat.JSON:
        stdout.print_json(json.dumps(facts))
    else:
        stdout.print(f"model {version} is now served: {facts}")


@app.command("versions")
def versions_command(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """The kept model versions; the served one is marked."""
    from liveshop.core.settings import get_settings
    from liveshop.recommend import model_store

    rows = model_store.describe(get_settings().home)
    if output is OutputFormat.JSON:
        stdout.print_json(json.dumps(rows))
        return
    table = Table(title="recommendation models")
    for column in ("version", "current", "trained_at", "products", "personalised_viewers"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                str(row.get(c, ""))
                for c in ("version", "current", "trained_at", "products", "personalised_viewers")
            )
        )
    stdout.print(table)


@app.command("rollback")
def rollback_command(
    to: Annotated[
        str | None,
        typer.Option(help="a version, e.g. v0003; default: the one before the served one"),
    ] = None,
) -> None:
    """Serve an earlier model version (servers pick it up within seconds)."""
    from liveshop.core.settings import get_settings
    from liveshop.recommend import model_store

    try:
        version = model_store.rollback(get_settings().home, to=to)
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    stdout.print(f"serving recommendation model {version}")
