"""A small catalogue and its rooms, written through the domains' own services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn, SkuIn
from liveshop.core.db import unit_of_work
from liveshop.live import service as live
from liveshop.live import shelf
from liveshop.search.indexer import rebuild_index


@dataclass
class World:
    merchant: User
    host: User
    products: dict[str, int]
    room_id: int


def add_user(url: str, name: str, role: Role) -> User:
    with unit_of_work(url) as session:
        user = accounts.create_user(
            session, username=name, password="correct horse battery", role=role
        )
        session.expunge(user)
        return user


def add_product(url: str, merchant: User, **fields: Any) -> int:
    skus = fields.pop("skus", None) or [SkuIn(price=fields.pop("price", 9900), stock=10)]
    with unit_of_work(url) as session:
        user = session.merge(merchant)
        return catalog.create_product(
            session, merchant=user, body=ProductIn(skus=skus, **fields)
        ).id


def make_world(url: str, *, index: bool = True) -> World:
    merchant = add_user(url, "merchant_mei", Role.MERCHANT)
    products = {
        "dress": add_product(
            url,
            merchant,
            title="夏季新款碎花连衣裙 女",
            category="女装",
            attributes={"材质": "纯棉"},
            price=15900,
        ),
        "long_dress": add_product(
            url, merchant, title="法式长款连衣裙", category="女装", price=29900
        ),
        "case": add_product(
            url, merchant, title="iPhone 15 透明手机壳", category="数码配件", price=2900
        ),
        "tea": add_product(url, merchant, title="西湖龙井绿茶 250g", category="食品", price=8800),
    }
    host_user = add_user(url, "host_lan", Role.HOST)
    with unit_of_work(url) as session:
        owner, host = session.merge(merchant), session.merge(host_user)
        invitation = staff.invite_staff(session, owner=owner, user_id=host.id)
        staff.accept_invitation(session, invitee=host, invitation_id=invitation.id)
        room = live.create_room(session, host=host, title="美美的夏装专场")
        room_id = room.id
    with unit_of_work(url) as session:
        host = session.merge(host_user)
        shelf.set_shelf(session, actor=host, room_id=room_id, product_ids=[products["long_dress"]])
        live.start_room(session, actor=host, room_id=room_id)
    if index:
        with unit_of_work(url) as session:
            rebuild_index(session)
    return World(merchant=merchant, host=host_user, products=products, room_id=room_id)
