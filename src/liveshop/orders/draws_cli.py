"""``liveshop draws``: recompute a lucky draw from what was published."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from liveshop.core.output import OutputFormat

app = typer.Typer(help="Lucky draws.", no_args_is_help=True)
console = Console()


@app.command("verify")
def draws_verify(
    draw_id: int,
    url: Annotated[
        str | None, typer.Option(help="a LiveShop server to read the published draw from")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Recompute a lucky draw's winners from its published seed and entrants."""
    import httpx

    from liveshop.core.db import unit_of_work
    from liveshop.core.errors import LiveShopError
    from liveshop.core.settings import get_settings
    from liveshop.orders import draws
    from liveshop.orders.schemas import DrawOut

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
