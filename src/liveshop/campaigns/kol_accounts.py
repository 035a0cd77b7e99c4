"""Finding a KOL's account by name for the link builder (issue 18): the commission is paid
to an account, and a merchant picks it by the name people know, not by typing its id.
KOLs are creators: the platform's hosts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.campaigns import access

MAX_FOUND = 20
MAX_NAME_QUERY = 40


@dataclass(frozen=True)
class KolAccount:
    id: int
    username: str


def find_kol_accounts(session: Session, *, actor: User, name: str) -> list[KolAccount]:
    """Hosts whose name contains ``name`` (the first 20 by name); for a shop's merchants."""
    access.shop_to_run_campaigns(session, actor=actor)
    words = name.strip()[:MAX_NAME_QUERY]
    if not words:
        return []
    users = session.scalars(
        select(User)
        .where(User.role == Role.HOST, User.username.icontains(words, autoescape=True))
        .order_by(User.username)
        .limit(MAX_FOUND)
    ).all()
    return [KolAccount(id=user.id, username=user.username) for user in users]
