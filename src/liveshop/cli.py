"""The ``liveshop`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role
from liveshop.analytics.cli import app as analyze_app
from liveshop.analytics.cli import profiles_app
from liveshop.core.audit.cli import app as audit_app
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.migrations import upgrade_database
from liveshop.core.output import OutputFormat
from liveshop.core.settings import get_settings
from liveshop.events.cli import app as events_app
from liveshop.governance.inspections_cli import app as inspections_app
from liveshop.moderation.cli import compliance_app, moderate_app
from liveshop.orders import draws
from liveshop.orders.schemas import DrawOut
from liveshop.payments.cli import app as payouts_app
from liveshop.payments.key_files import rotate_master_key_file
from liveshop.payments.verify import verify_ledger
from liveshop.privacy.cli import app as privacy_app

app = typer.Typer(help="LiveShop: live-commerce platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
draws_app = typer.Typer(help="Lucky draws.", no_args_is_help=True)
vault_app = typer.Typer(help="The card vault.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(draws_app, name="draws")
app.add_typer(vault_app, name="vault")
app.add_typer(ledger_app, name="ledger")
app.add_typer(moderate_app, name="moderate")
app.add_typer(compliance_app, name="compliance")
app.add_typer(payouts_app, name="payouts")
app.add_typer(audit_app, name="audit")
app.add_typer(inspections_app, name="inspections")
app.add_typer(privacy_app, name="privacy")
app.add_typer(events_app, name="events")
app.add_typer(analyze_app, name="analyze")
app.add_typer(profiles_app, name="profiles")
console = Console()

APP_COMMANDS = frozenset({"serve", "demo"})  # they run the app, whose lifespan subscribes
HELP_OPTIONS = frozenset({"--help", "-h"})
WEBSOCKET_IMPLEMENTATION = "websockets-sansio"  # measured fastest (see FINDINGS.md)
WORKER_STARTUP_SECONDS = 120
LISTEN_BACKLOG = 8192  # a flash sale's crowd connects at once; 2048 reset connections
# The server's files (databases and their journals, DuckDB's WAL, which DuckDB
# re-creates under the process umask after each checkpoint) are its owner's alone.
SERVER_FILE_UMASK = 0o077


@app.callback()
def connect_domains(ctx: typer.Context) -> None:
    """Connect the domains (``liveshop.wiring``) before a command runs: fill every
    registry and, for the command's life, subscribe the listeners that act on
    other domains' events (a failed inspection takes the product off shelves)."""
    if HELP_OPTIONS & set(sys.argv[1:]) or ctx.resilient_parsing:
        return  # help needs no domain (click hides the subcommand's arguments from here)
    from liveshop.core.bus import bus
    from liveshop.wiring import Subscriptions, domain_listeners
    from liveshop.wiring import connect_domains as connect

    connect()
    if ctx.invoked_subcommand not in APP_COMMANDS:
        subscriptions = Subscriptions(bus, domain_listeners(get_settings()))
        ctx.call_on_close(subscriptions.cancel)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations to the configured database."""
    upgrade_database(get_settings().resolved_database_url(), revision)
    console.print(f"[green]database at {revision}[/green]")


@users_app.command("create")
def users_create(
    name: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[Role, typer.Option()] = Role.VIEWER,
) -> None:
    """Create a user with any role (operators only: this bypasses registration)."""
    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            user = accounts.create_user(session, username=name, password=password, role=role)
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    console.print(f"created {role.value} {user.username!r} (id {user.id})")


@draws_app.command("verify")
def draws_verify(
    draw_id: int,
    url: Annotated[
        str | None, typer.Option(help="a LiveShop server to read the published draw from")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Recompute a lucky draw's winners from its published seed and entrants."""
    if url:
        response = httpx.get(f"{url.rstrip('/')}/api/draws/{draw_id}", timeout=10)
        response.raise_for_status()
        published = DrawOut.model_validate(response.json())
    else:
        with unit_of_work(get_settings().resolved_database_url(), writes=False) as session:
            published = draws.draw_out(session, draws.get_draw(session, draw_id=draw_id))
    try:
        result = draws.verify(published)
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    if output is OutputFormat.JSON:
        console.print_json(result.model_dump_json())
    else:
        table = Table(title=f"lucky draw {draw_id}")
        table.add_column("check")
        table.add_column("result")
        table.add_row("SHA-256(seed) == commitment", str(result.commitment_matches))
        table.add_row("winners recomputed", ", ".join(map(str, result.recomputed_winners)))
        table.add_row("winners published", ", ".join(map(str, result.published_winners)))
        table.add_row("match", str(result.winners_match))
        console.print(table)
    if not (result.commitment_matches and result.winners_match):
        raise typer.Exit(1)


@vault_app.command("rotate-key")
def vault_rotate_key(
    new_key_file: Annotated[
        Path | None,
        typer.Option(help="the new master key (base64 of 32 bytes); generated there if absent"),
    ] = None,
) -> None:
    """Re-wrap every card's data key under a new master key, in one transaction."""
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


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API, the pages and the WebSockets (migrations are applied first)."""
    os.umask(SERVER_FILE_UMASK)
    settings = get_settings()
    if workers > 1 and not settings.redis_url:
        console.print(
            "[red]--workers above 1 needs LIVESHOP_REDIS_URL: without Redis each worker "
            "would hold its own copy of a room and viewers would see different rooms.[/red]"
        )
        raise typer.Exit(2)
    upgrade_database(settings.resolved_database_url())
    uvicorn.run(
        "liveshop.app:create_server_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws=WEBSOCKET_IMPLEMENTATION,
        ws_per_message_deflate=False,  # frames are shared bytes: see live/subscribers.py
        # uvicorn restarts a worker that has not answered its supervisor within this
        # long; importing the app on a busy machine was seen to take over the default 5 s.
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS,
        backlog=LISTEN_BACKLOG,
        # The client address (sign-in limits) and scheme (Secure cookies) come from
        # X-Forwarded-For/-Proto only when the peer is one of these proxies.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level="warning",
    )


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    viewers: Annotated[int, typer.Option(min=0, help="simulated viewers")] = 200,
    comments_per_second: Annotated[float, typer.Option(min=0)] = 5.0,
    likes_per_second: Annotated[float, typer.Option(min=0)] = 30.0,
    seconds: Annotated[float, typer.Option(help="stop after this long (0: until Ctrl-C)")] = 0,
    flash_sale_in: Annotated[
        float, typer.Option(min=1, help="seconds until the demo's flash sale opens")
    ] = 60,
) -> None:
    """Seed a demo shop and live room, serve it, and fill it with a simulated audience."""
    from liveshop.demo import run_demo

    os.umask(SERVER_FILE_UMASK)

    run_demo(
        host=host,
        port=port,
        viewers=viewers,
        comments_per_second=comments_per_second,
        likes_per_second=likes_per_second,
        seconds=seconds,
        flash_sale_in=flash_sale_in,
    )


if __name__ == "__main__":
    app()
