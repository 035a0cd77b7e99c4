"""``liveshop auctions``: the bid persister as a worker of its own.

On the Redis bid engine the app writes the bids stream to SQL itself by default. A
deployment whose crowd bids faster than one process both answers and records sets
``LIVESHOP_AUCTION_BID_PERSISTER=false`` for the app and runs ``liveshop auctions
persist`` beside it (as many as it likes: their writes are idempotent). Imports stay
inside the command: ``liveshop --help`` loads no database layer.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Live auctions: the Redis bids stream's persister.", no_args_is_help=True)


@app.callback()
def auctions() -> None:
    """Live auctions."""


@app.command()
def persist(
    once: Annotated[bool, typer.Option(help="write what the stream holds now, then stop")] = False,
) -> None:
    """Write the Redis bids stream to SQL (the record) as bids arrive, until stopped;
    first what a killed persister left."""
    from liveshop.auctions.engines import bid_engine_for
    from liveshop.auctions.jobs import persist_in_worker
    from liveshop.auctions.redis_bids import RedisBidEngine
    from liveshop.core.settings import get_settings

    settings = get_settings()
    engine = bid_engine_for(settings.redis_url)
    if not isinstance(engine, RedisBidEngine):
        typer.echo("bids are decided in SQL: set LIVESHOP_REDIS_URL for the Redis engine", err=True)
        raise typer.Exit(2)
    written = persist_in_worker(settings.resolved_database_url(), engine, once=once)
    typer.echo(f"{written} bids written")
