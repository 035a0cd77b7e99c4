"""``liveshop vault`` and ``liveshop ledger``: the card vault's key and the ledger's checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat

vault_app = typer.Typer(help="The card vault.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
console = Console()


@vault_app.command("rotate-key")
def vault_rotate_key(
    new_key_file: Annotated[
        Path | None,
        typer.Option(help="the new master key (base64 of 32 bytes); generated there if absent"),
    ] = None,
) -> None:
    """Re-wrap every card's data key under a new master key, in one transaction."""
    from liveshop.core.errors import LiveShopError
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings
    from liveshop.payments.key_files import rotate_master_key_file

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        outcome = rotate_master_key_file(settings, new_key_file=new_key_file, actor="cli")
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    rotation = outcome.rotation
    console.print(
        f"vault master key v{rotation.old_version} -> v{rotation.new_version}: "
        f"{rotation.cards} cards re-wrapped; the new key is in {outcome.key_file}"
    )
    if outcome.environment_must_change:
        console.print(
            "[yellow]set LIVESHOP_VAULT_MASTER_KEY to the contents of "
            f"{outcome.key_file} and restart every worker[/yellow]"
        )


@ledger_app.command("verify")
def ledger_verify(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Check the ledger's invariants; exits 1 listing every breach."""
    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.payments.verify import verify_ledger

    settings = get_settings()
    with unit_of_work(settings.resolved_database_url(), writes=False) as session:
        report = verify_ledger(session)
    if output is OutputFormat.JSON:
        console.print_json(report.model_dump_json())
    else:
        table = Table(
            title=f"ledger: {report.transactions} transactions, {report.accounts} accounts, "
            f"{report.paid_orders} paid orders"
        )
        for column in ("check", "subject", "detail"):
            table.add_column(column)
        for breach in report.breaches:
            table.add_row(breach.check, breach.subject, breach.detail)
        console.print(table if report.breaches else "[green]ledger verified: no breaches[/green]")
    if not report.ok:
        raise typer.Exit(1)
