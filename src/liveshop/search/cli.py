"""``liveshop search``: rebuild the index, or search from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from liveshop.core.output import OutputFormat

app = typer.Typer(no_args_is_help=True, help="Product, room and shop search: reindex, query.")


@app.command("reindex")
def reindex_command(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Index every shop, published product and room again (after a restore, or the
    first start of a database that had data before search existed)."""
    from rich.console import Console

    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.search.indexer import rebuild_index
    from liveshop.search.text import warm_up

    with Console(stderr=True).status("indexing"):
        warm_up()
        with unit_of_work(get_settings().resolved_database_url()) as session:
            counts = rebuild_index(session)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(counts))
        return
    Console().print("indexed " + ", ".join(f"{count} {kind}s" for kind, count in counts.items()))


@app.command("query")
def query_command(
    words: Annotated[str, typer.Argument(help="what to search for")],
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Search products, as GET /api/search does."""
    from rich.console import Console

    from liveshop.core.db import unit_of_work
    from liveshop.core.settings import get_settings
    from liveshop.search.service import search

    with unit_of_work(get_settings().resolved_database_url(), writes=False) as session:
        result = search(session, query=words)
    if output is OutputFormat.JSON:
        typer.echo(result.model_dump_json())
        return
    for hit in result.results:
        Console().print(f"{hit.id}\t{hit.title}\t{hit.price_min}")
