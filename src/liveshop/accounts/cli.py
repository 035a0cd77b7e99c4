"""``liveshop users``: operator accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from liveshop.accounts.roles import Role

app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
console = Console()


@app.command("create")
def users_create(
    name: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[Role, typer.Option()] = Role.VIEWER,
) -> None:
    """Create a user with any role (operators only: this bypasses registration)."""
    from liveshop.accounts import service as accounts
    from liveshop.core.db import unit_of_work
    from liveshop.core.errors import LiveShopError
    from liveshop.core.migrations import upgrade_database
    from liveshop.core.settings import get_settings

    settings = get_settings()
    upgrade_database(settings.resolved_database_url())
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            user = accounts.create_user(session, username=name, password=password, role=role)
    except LiveShopError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    console.print(f"created {role.value} {user.username!r} (id {user.id})")
