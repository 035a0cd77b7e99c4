"""``liveshop search``: rebuild the index, or search from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from liveshop.core.output import OutputFormat

app = typer.Typer(
    no_args_is_help=True, help="Product, room and shop search: reindex, build-index, query."
)


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

    url = get_settings().resolved_database_url()
    with Console(stderr=True).status("indexing"):
        warm_up()
        with unit_of_work(url) as session:
            counts = rebuild_index(session)
        _rebuild_engine_index(url)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(counts))
        return
    Console().print("indexed " + ", ".join(f"{count} {kind}s" for kind, count in counts.items()))


def _rebuild_engine_index(url: str) -> int | None:
    """Build the Tantivy index again from ``search_documents``, when it is the engine
    in use; the number of documents it holds, else None."""
    from liveshop.core.db import unit_of_work
    from liveshop.search.engines import current_search_engine
    from liveshop.search.tantivy_engine import TantivyEngine

    engine = current_search_engine()
    if not isinstance(engine, TantivyEngine):
        return None
    with unit_of_work(url, writes=False) as session:
        return engine.index_for(session).rebuild(session)


@app.command("build-index")
def build_index_command(
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Build the search engine's index again from search_documents (Tantivy; the
    database's own full-text index needs no build). Queries keep it in step after."""
    from rich.console import Console

    from liveshop.core.settings import get_settings

    with Console(stderr=True).status("building"):
        documents = _rebuild_engine_index(get_settings().resolved_database_url())
    if output is OutputFormat.JSON:
        typer.echo(json.dumps({"documents": documents}))
        return
    Console().print(
        "the database's own full-text index needs no build"
        if documents is None
        else f"built the Tantivy index: {documents} documents"
    )


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
