"""``liveshop campaigns``: pay KOL commissions now, size an experiment, read its results."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat

app = typer.Typer(help="Campaigns, KOL commissions and experiments.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("settle-commissions")
def settle_commissions_now() -> None:
    """Pay the KOL commissions of orders payments has settled, cancel refunded ones (the
    server does this every minute; this runs it now)."""
    from liveshop.campaigns.commissions import settle_commissions
    from liveshop.core.db import unit_of_work
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    with unit_of_work(settings.resolved_database_url()) as session:
        settled, cancelled = settle_commissions(session)
    console.print(f"settled {settled} commissions, cancelled {cancelled}")


@app.command("sample-size")
def sample_size(
    baseline: Annotated[float, typer.Option(help="the control's conversion rate, e.g. 0.05")],
    minimum_effect: Annotated[float, typer.Option(help="smallest absolute change, e.g. 0.01")],
    alpha: float = 0.05,
    power: float = 0.8,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Users per variant for a two-sided two-proportion test."""
    from liveshop.campaigns.stats import sample_size_per_arm

    try:
        users = sample_size_per_arm(
            baseline=baseline, minimum_effect=minimum_effect, alpha=alpha, power=power
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if output is OutputFormat.JSON:
        typer.echo(orjson.dumps({"users_per_variant": users}).decode())
        return
    typer.echo(f"{users} users per variant")


@app.command("results")
def results(
    experiment_id: int,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """An experiment's results, as the platform's admins read them."""
    from liveshop.accounts.models import Role, User
    from liveshop.campaigns.experiments import results as experiment_results
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings

    settings = get_settings()
    with unit_of_work(settings.resolved_database_url(), writes=False) as session:
        reader = User(id=0, username="cli", password_hash="!", role=Role.ADMIN)
        answer = experiment_results(session, actor=reader, experiment_id=experiment_id)
    if output is OutputFormat.JSON:
        typer.echo(answer.model_dump_json())
        return
    table = Table(
        title=f"{answer.name} (p = {answer.p_value}, always valid {answer.always_valid_p_value})"
    )
    for column in ("variant", "users", "conversions", "rate", "95% CI"):
        table.add_column(column)
    for variant in answer.variants:
        interval = (
            f"{variant.ci_low:.4f}-{variant.ci_high:.4f}" if variant.ci_low is not None else "-"
        )
        table.add_row(
            variant.name, str(variant.users), str(variant.conversions), str(variant.rate), interval
        )
    Console().print(table)
    typer.echo(answer.guidance)
