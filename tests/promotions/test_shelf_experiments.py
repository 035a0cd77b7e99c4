"""A room's shelf order A/B tested (here for the commerce tests' room fixture): a
signed-in viewer sees their variant's lead product first (sticky, the exposure logged
once); signed-out visitors and regulators see the host's order and are in no
experiment; attaching is the room's host's, with an experiment of the shop they act
for and lead products of that shop on the shelf."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.campaigns import experiments
from liveshop.campaigns.experiment_schemas import ExperimentIn, VariantIn
from liveshop.campaigns.models import Exposure
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.live import shelf as live_shelf
from liveshop.live import shelf_experiments
from liveshop.live.schemas import ShelfExperimentIn
from tests.conftest import Account, MakeAccount
from tests.promotions.conftest import Shelf, create_buyers


def _scarf(session: Session, shelf_: Shelf) -> int:
    """A second product of the merchant's shop, shelved after the coat."""
    scarf = catalog.create_product(
        session,
        merchant=session.get_one(User, shelf_.merchant.id),
        body=ProductIn(title="围巾", price=9_900, stock=100),
    )
    live_shelf.set_shelf(
        session,
        actor=session.get_one(User, shelf_.host.id),
        room_id=shelf_.room_id,
        product_ids=[shelf_.product_id, scarf.id],
    )
    return scarf.id


def _experiment(session: Session, merchant: Account) -> int:
    return experiments.create_experiment(
        session,
        actor=session.get_one(User, merchant.id),
        body=ExperimentIn(
            name="购物袋首位: 羽绒服 vs 围巾",
            variants=[VariantIn(name=name, weight=1) for name in ("coat_first", "scarf_first")],
        ),
    ).id


def _attach(session: Session, actor: Account, room_id: int, experiment_id: int, **leads: int):
    return shelf_experiments.attach_shelf_experiment(
        session,
        actor=session.get_one(User, actor.id),
        room_id=room_id,
        body=ShelfExperimentIn(experiment_id=experiment_id, leads=leads),
    )


def test_each_viewer_sees_their_variants_lead_first_and_is_exposed_once(
    session: Session, shelf: Shelf, database_url: str, make_account: MakeAccount
) -> None:
    regulator = make_account(Role.REGULATOR)
    viewers = create_buyers(database_url, 30, prefix="shelf_viewer")
    scarf_id = _scarf(session, shelf)
    experiment_id = _experiment(session, shelf.merchant)
    leads = {"coat_first": shelf.product_id, "scarf_first": scarf_id}
    _attach(session, shelf.host, shelf.room_id, experiment_id, **leads)
    experiment = experiments.get_experiment(session, experiment_id=experiment_id)

    seen: dict[int, str] = {}
    for viewer_id in viewers:
        viewer = session.get_one(User, viewer_id)
        first = shelf_experiments.shelf_for(session, room_id=shelf.room_id, viewer=viewer)
        again = shelf_experiments.shelf_for(session, room_id=shelf.room_id, viewer=viewer)
        assert [p.id for p in first] == [p.id for p in again]  # sticky
        assert {p.id for p in first} == {shelf.product_id, scarf_id}  # reordered, not cut
        variant = experiments.variant_for(experiment, viewer_id)
        assert first[0].id == leads[variant]
        seen[viewer_id] = variant
    outsiders = [None, session.get_one(User, regulator.id)]
    for outsider in outsiders:
        plain = shelf_experiments.shelf_for(session, room_id=shelf.room_id, viewer=outsider)
        assert [p.id for p in plain] == [shelf.product_id, scarf_id]  # the host's order
    session.commit()

    rows = session.execute(
        select(Exposure.user_id, Exposure.variant).where(Exposure.experiment_id == experiment_id)
    ).tuples()
    exposures = {user_id: variant for user_id, variant in rows}
    assert exposures == seen
    assert set(seen.values()) == set(leads)


def test_attaching_is_the_hosts_with_their_shops_experiment_and_shelved_leads(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    stranger, admin = make_account(Role.MERCHANT), make_account(Role.ADMIN)
    scarf_id = _scarf(session, shelf)
    experiment_id = _experiment(session, shelf.merchant)
    hat = catalog.create_product(
        session,
        merchant=session.get_one(User, stranger.id),
        body=ProductIn(title="帽子", price=5_900, stock=10),
    )
    strangers_experiment = _experiment(session, stranger)
    good = {"coat_first": shelf.product_id, "scarf_first": scarf_id}

    for actor in (shelf.merchant, stranger):  # the shop's merchant does not run the room
        with pytest.raises(PermissionDenied):
            _attach(session, actor, shelf.room_id, experiment_id, **good)
    with pytest.raises(NotFound):  # an admin runs any room, but acts for no shop
        _attach(session, admin, shelf.room_id, experiment_id, **good)
    with pytest.raises(NotFound):
        _attach(session, shelf.host, shelf.room_id, strangers_experiment, **good)
    with pytest.raises(InvalidInput, match="on this room's shelf"):
        _attach(session, shelf.host, shelf.room_id, experiment_id, coat_first=hat.id, scarf_first=1)
    with pytest.raises(InvalidInput, match="each variant"):
        _attach(session, shelf.host, shelf.room_id, experiment_id, coat_first=1, other=2)
    out = _attach(session, shelf.host, shelf.room_id, experiment_id, **good)
    assert out.leads == good
    with pytest.raises(Conflict):
        _attach(session, shelf.host, shelf.room_id, experiment_id, **good)


def test_the_shelf_route_orders_for_the_signed_in_viewer(
    client: TestClient, shelf: Shelf, make_account: MakeAccount, session: Session
) -> None:
    viewer = make_account(Role.VIEWER)
    scarf_id = _scarf(session, shelf)
    session.commit()
    experiment = client.post(
        "/api/experiments",
        json={"name": "首位", "variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]},
        headers=shelf.merchant.headers,
    ).json()
    url = f"/api/rooms/{shelf.room_id}/shelf-experiment"
    body = {"experiment_id": experiment["id"], "leads": {"a": scarf_id, "b": scarf_id}}
    assert client.post(url, json=body, headers=shelf.merchant.headers).status_code == 403
    attached = client.post(url, json=body, headers=shelf.host.headers)
    assert attached.status_code == 201, attached.text

    anonymous = client.get(f"/api/rooms/{shelf.room_id}/shelf").json()
    signed_in = client.get(f"/api/rooms/{shelf.room_id}/shelf", headers=viewer.headers).json()
    assert [p["id"] for p in anonymous] == [shelf.product_id, scarf_id]
    assert [p["id"] for p in signed_in] == [scarf_id, shelf.product_id]  # both variants: scarf
    results = client.get(
        f"/api/experiments/{experiment['id']}/results", headers=shelf.merchant.headers
    ).json()
    assert sum(variant["users"] for variant in results["variants"]) == 1
