"""The ``liveshop`` command.

It starts at once: this module imports only Typer. Every sub-command group is
named in :data:`COMMANDS` with the module that defines it and its one-line help,
and that module is imported only when the group runs or shows its own help
(``liveshop --help`` lists the groups from the table alone). Heavy libraries
(scikit-learn, DuckDB, PySpark, Plotly, uvicorn, the app) are therefore imported
by the commands that use them. ``tests/test_cli_startup.py`` checks it.

To add a group, define ``app = typer.Typer(...)`` in your domain's ``cli.py``
and add one line to :data:`COMMANDS` (it is a shared file: take the lock)::

    "risk": ("liveshop.risk.cli:app", "Risk control ..."),

Keep the group's module light at its top too (import services, SQLAlchemy,
DuckDB, scikit-learn... inside the commands): ``tests/test_cli_startup.py`` runs
every entry's ``--help`` in a fresh process and names any heavy module it loaded.
Keep this module free of top-level imports of liveshop domains or of anything
heavier than Typer; ``serve`` and ``demo`` import what they need when they run.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> ("module:attribute" of a typer.Typer, the one-line help shown by
# ``liveshop --help``). Listing the groups imports nothing; the module is
# imported when its group runs or its own help is asked for.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("liveshop.core.db_cli:app", "Database schema."),
    "users": ("liveshop.accounts.cli:app", "Operator accounts."),
    "draws": ("liveshop.orders.draws_cli:app", "Lucky draws."),
    "auctions": ("liveshop.auctions.cli:app", "Live auctions: the Redis bids stream's persister."),
    "vault": ("liveshop.payments.operations_cli:vault_app", "The card vault."),
    "ledger": ("liveshop.payments.operations_cli:ledger_app", "The double-entry ledger."),
    "moderate": (
        "liveshop.moderation.cli:moderate_app",
        "Moderate texts: `liveshop moderate FILE` (one text a line), or `evaluate`.",
    ),
    "compliance": (
        "liveshop.moderation.cli:compliance_app",
        "Advertising-law checks of seller copy.",
    ),
    "payouts": ("liveshop.payments.cli:app", "Settlement and payouts to shops and hosts."),
    "campaigns": ("liveshop.campaigns.cli:app", "Campaigns, KOL commissions and experiments."),
    "audit": ("liveshop.core.audit.cli:app", "The hash-chained audit log."),
    "media": (
        "liveshop.media.cli:app",
        "Live video: the media server (nginx with its RTMP module).",
    ),
    "inspections": ("liveshop.governance.inspections_cli:app", "Sampling inspections (定期抽检)."),
    "privacy": ("liveshop.privacy.cli:app", "Privacy: retention jobs and erasure."),
    "events": ("liveshop.events.cli:app", "Behaviour events: import logs, export Parquet."),
    "analyze": ("liveshop.analytics.cli:app", "Behaviour reports on DuckDB or Spark."),
    "profiles": (
        "liveshop.analytics.cli:profiles_app",
        "User profiles (用户画像), RFM and segments.",
    ),
    "risk": (
        "liveshop.risk.cli:app",
        "Risk control: simulate a labelled stream, train, score, evaluate, rules.",
    ),
    "assistant": (
        "liveshop.assistant.cli:app",
        "The shop's customer-service assistant: evaluate on labelled questions.",
    ),
    "search": (
        "liveshop.search.cli:app",
        "Product, room and shop search: reindex, build-index, query.",
    ),
    "recommend": (
        "liveshop.recommend.cli:app",
        "Recommendations: evaluate models on a log, train, model versions and rollback.",
    ),
}

APP_COMMANDS = frozenset({"serve", "demo"})  # they run the app, whose lifespan subscribes
# Reports over a log file or the event store: they use no registry and publish no
# domain event, so they skip connecting the domains (about 2 s of imports).
SELF_CONTAINED_COMMANDS = frozenset({"analyze", "profiles"})
HELP_OPTIONS = frozenset({"--help", "-h"})
WEBSOCKET_IMPLEMENTATION = "websockets-sansio"  # measured fastest (see FINDINGS.md)
WORKER_STARTUP_SECONDS = 120
LISTEN_BACKLOG = 8192  # a flash sale's crowd connects at once; 2048 reset connections
# The server's files (databases and their journals, DuckDB's WAL, which DuckDB
# re-creates under the process umask after each checkpoint) are its owner's alone.
SERVER_FILE_UMASK = 0o077


class LazyGroup(TyperGroup):
    """The root group: the commands defined here plus the groups in :data:`COMMANDS`,
    each imported on first use. While help is being written, a group not yet
    imported is listed from its table entry instead of being imported."""

    lazy_commands: dict[str, tuple[str, str]] = COMMANDS

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._writing_help = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy_commands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.lazy_commands:
            return command
        target, short_help = self.lazy_commands[cmd_name]
        if self._writing_help:
            return TyperCommand(name=cmd_name, help=short_help)
        command = load_group(target)
        command.name = cmd_name
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._writing_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._writing_help = False


def load_group(target: str) -> Any:
    """The click group of the ``typer.Typer`` at ``"module:attribute"``."""
    module_name, _, attribute = target.partition(":")
    sub_app = getattr(importlib.import_module(module_name), attribute)
    return typer.main.get_group(sub_app)


app = typer.Typer(cls=LazyGroup, help="LiveShop: live-commerce platform.", no_args_is_help=True)


@app.callback()
def connect_domains(ctx: typer.Context) -> None:
    """Connect the domains (``liveshop.wiring``) before a command runs: fill every
    registry and, for the command's life, subscribe the listeners that act on
    other domains' events (a failed inspection takes the product off shelves)."""
    if HELP_OPTIONS & set(sys.argv[1:]) or ctx.resilient_parsing:
        return  # help needs no domain (click hides the subcommand's arguments from here)
    if ctx.invoked_subcommand in SELF_CONTAINED_COMMANDS:
        return
    from liveshop.core.bus import bus
    from liveshop.core.settings import get_settings
    from liveshop.wiring import Subscriptions, domain_listeners
    from liveshop.wiring import connect_domains as connect

    connect()
    if ctx.invoked_subcommand not in APP_COMMANDS:
        subscriptions = Subscriptions(bus, domain_listeners(get_settings()))
        ctx.call_on_close(subscriptions.cancel)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API, the pages and the WebSockets (migrations are applied first)."""
    import uvicorn
    from rich.console import Console

    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings

    os.umask(SERVER_FILE_UMASK)
    settings = get_settings()
    if workers > 1 and not settings.redis_url:
        Console().print(
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
    from liveshop.demo.runner import run_demo

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
