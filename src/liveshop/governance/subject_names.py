"""The names behind the ids in governance's records, for the people who read them: a
penalty's user or shop, an inspection's product and shop. A regulator reads
"店铺 茶香小铺", not "店铺 #12"; an id with nothing behind it any more has no name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Product, Shop

# kind -> (its id column, its name column)
NAME_COLUMNS: dict[str, tuple[Any, Any]] = {
    "user": (User.id, User.username),
    "shop": (Shop.id, Shop.name),
    "product": (Product.id, Product.title),
}


def names_of(
    session: Session, refs: Iterable[tuple[str, int | None]]
) -> dict[tuple[str, int], str]:
    """``(kind, id) -> name`` for the users, shops and products among ``refs``; other
    kinds (an order) and missing rows are left out."""
    wanted: dict[str, set[int]] = {}
    for kind, row_id in refs:
        if kind in NAME_COLUMNS and row_id is not None:
            wanted.setdefault(kind, set()).add(row_id)
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        id_column, name_column = NAME_COLUMNS[kind]
        for row_id, name in session.execute(
            select(id_column, name_column).where(id_column.in_(ids))
        ):
            names[(kind, row_id)] = name
    return names


def with_penalty_names(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = names_of(session, ((row["subject_type"], row["subject_id"]) for row in rows))
    return [
        row | {"subject_name": names.get((row["subject_type"], row["subject_id"]))} for row in rows
    ]


def with_inspection_names(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    refs = [(row["target_type"], row["target_id"]) for row in rows]
    refs += [("shop", row["shop_id"]) for row in rows]
    names = names_of(session, refs)
    return [
        row
        | {
            "target_name": names.get((row["target_type"], row["target_id"])),
            "shop_name": names.get(("shop", row["shop_id"])),
        }
        for row in rows
    ]
