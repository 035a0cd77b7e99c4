"""An attached experiment (a coupon's depth, a shelf's order) may be changed or detached
until a viewer has been shown a variant of it; after that, the attachment stays as it
is (409 ``experiment_exposed``) and nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, NotFound, PermissionDenied
from liveshop.live import shelf_experiments
from liveshop.live.models import Room
from liveshop.live.schemas import ShelfExperimentIn
from liveshop.promotions import coupon_experiments, coupons
from liveshop.promotions.models import Coupon
from liveshop.promotions.schemas import CouponExperimentIn
from tests.conftest import MakeAccount
from tests.promotions.conftest import Shelf
from tests.promotions.test_coupon_experiments import DEPTHS, _experiment, _room_coupon
from tests.promotions.test_shelf_experiments import _scarf


def _depths(experiment_id: int, **depths: int) -> CouponExperimentIn:
    return CouponExperimentIn(experiment_id=experiment_id, depths=depths)


def test_a_coupons_depths_change_and_detach_until_a_viewer_is_offered_one(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    viewer = make_account(Role.VIEWER)
    merchant = session.get_one(User, shelf.merchant.id)
    first, second = _experiment(session, shelf.merchant), _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)

    changed = coupon_experiments.change_experiment(  # nothing attached: PUT attaches
        session, actor=merchant, coupon=coupon, body=_depths(first, **DEPTHS)
    )
    assert (changed.experiment_id, changed.depths, changed.exposed) == (first, DEPTHS, False)
    changed = coupon_experiments.change_experiment(
        session, actor=merchant, coupon=coupon, body=_depths(second, shallow=100, deep=2_000)
    )
    assert (coupon.experiment_id, coupon.experiment_depths) == (
        second,
        {"shallow": 100, "deep": 2_000},
    )
    coupon_experiments.detach_experiment(session, actor=merchant, coupon=coupon)
    assert (coupon.experiment_id, coupon.experiment_depths) == (None, None)
    with pytest.raises(NotFound, match="in no experiment"):
        coupon_experiments.detach_experiment(session, actor=merchant, coupon=coupon)
    with pytest.raises(NotFound, match="in no experiment"):
        coupon_experiments.attached_experiment(session, actor=merchant, coupon=coupon)
    with pytest.raises(PermissionDenied):  # the host staffs the shop: not theirs to change
        coupon_experiments.detach_experiment(
            session, actor=session.get_one(User, shelf.host.id), coupon=coupon
        )

    coupon_experiments.attach_experiment(
        session, actor=merchant, coupon=coupon, body=_depths(first, **DEPTHS)
    )
    offered = coupons.offer(session, user=session.get_one(User, viewer.id), coupon_id=coupon.id)
    assert offered.amount in DEPTHS.values()
    assert coupon_experiments.attached_experiment(session, actor=merchant, coupon=coupon).exposed
    with pytest.raises(Conflict, match="offered this coupon at their variant's depth"):
        coupon_experiments.change_experiment(
            session, actor=merchant, coupon=coupon, body=_depths(first, shallow=1, deep=2)
        )
    with pytest.raises(Conflict, match="stays attached"):
        coupon_experiments.detach_experiment(session, actor=merchant, coupon=coupon)
    session.commit()
    session.expire_all()
    stored = session.get_one(Coupon, coupon.id)
    assert (stored.experiment_id, stored.experiment_depths) == (first, DEPTHS)


def test_a_shelfs_leads_change_and_detach_until_a_viewer_opens_the_shelf(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    viewer = make_account(Role.VIEWER)
    host = session.get_one(User, shelf.host.id)
    scarf_id = _scarf(session, shelf)
    experiment_id = _experiment(session, shelf.merchant)
    coat_first = {"shallow": shelf.product_id, "deep": scarf_id}
    scarf_first = {"shallow": scarf_id, "deep": shelf.product_id}

    def change(leads: dict[str, int]) -> None:
        shelf_experiments.change_shelf_experiment(
            session,
            actor=host,
            room_id=shelf.room_id,
            body=ShelfExperimentIn(experiment_id=experiment_id, leads=leads),
        )

    change(coat_first)
    change(scarf_first)
    room = session.get_one(Room, shelf.room_id)
    assert room.shelf_experiment_leads == scarf_first
    shelf_experiments.detach_shelf_experiment(session, actor=host, room_id=shelf.room_id)
    assert (room.shelf_experiment_id, room.shelf_experiment_leads) == (None, None)
    with pytest.raises(PermissionDenied):  # the shop's merchant does not run the room
        shelf_experiments.detach_shelf_experiment(
            session, actor=session.get_one(User, shelf.merchant.id), room_id=shelf.room_id
        )

    change(coat_first)
    shelf_experiments.shelf_for(
        session, room_id=shelf.room_id, viewer=session.get_one(User, viewer.id)
    )
    with pytest.raises(Conflict, match="seen this shelf in their variant's order"):
        change(scarf_first)
    with pytest.raises(Conflict, match="stays attached"):
        shelf_experiments.detach_shelf_experiment(session, actor=host, room_id=shelf.room_id)
    session.commit()
    session.expire_all()
    assert session.get_one(Room, shelf.room_id).shelf_experiment_leads == coat_first


def test_the_routes_read_change_and_detach_then_refuse_once_a_viewer_was_offered(
    client: TestClient, shelf: Shelf, make_account: MakeAccount, session: Session
) -> None:
    viewer = make_account(Role.VIEWER)
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    scarf_id = _scarf(session, shelf)
    session.commit()
    merchant, host = shelf.merchant.headers, shelf.host.headers

    url = f"/api/coupons/{coupon.id}/experiment"
    assert client.get(url, headers=merchant).status_code == 404
    body = {"experiment_id": experiment_id, "depths": DEPTHS}
    put = client.put(url, json=body, headers=merchant)
    assert put.status_code == 200, put.text
    assert put.json() == {
        "coupon_id": coupon.id,
        "experiment_id": experiment_id,
        "depths": DEPTHS,
        "exposed": False,
    }
    assert client.put(url, json=body, headers=host).status_code == 403
    assert client.delete(url, headers=merchant).status_code == 204
    assert client.get(f"/api/coupons/{coupon.id}").json()["experiment"] is False
    assert client.put(url, json=body, headers=merchant).status_code == 200
    client.get(f"/api/coupons/{coupon.id}/offer", headers=viewer.headers)
    assert client.get(url, headers=merchant).json()["exposed"] is True
    refused = client.delete(url, headers=merchant)
    assert refused.status_code == 409
    assert refused.json()["code"] == "experiment_exposed"
    assert client.get(f"/api/coupons/{coupon.id}").json()["experiment"] is True

    url = f"/api/rooms/{shelf.room_id}/shelf-experiment"
    leads = {"shallow": scarf_id, "deep": shelf.product_id}
    assert client.get(url, headers=host).status_code == 404
    other = _experiment(session, shelf.merchant)
    session.commit()
    put = client.put(url, json={"experiment_id": other, "leads": leads}, headers=host)
    assert put.status_code == 200, put.text
    assert client.get(url, headers=host).json() == {
        "room_id": shelf.room_id,
        "experiment_id": other,
        "leads": leads,
        "exposed": False,
    }
    assert client.delete(url, headers=host).status_code == 204
    assert client.get(url, headers=host).status_code == 404
    put = client.put(url, json={"experiment_id": experiment_id, "leads": leads}, headers=host)
    assert put.json()["exposed"] is True  # its viewers were offered the coupon already
    refused = client.put(url, json={"experiment_id": other, "leads": leads}, headers=host)
    assert refused.status_code == 409
    assert refused.json()["code"] == "experiment_exposed"
    assert client.get(url, headers=host).json()["experiment_id"] == experiment_id


def test_the_results_name_the_mechanics_the_experiment_drives(
    client: TestClient, shelf: Shelf, make_account: MakeAccount, session: Session
) -> None:
    viewer = make_account(Role.VIEWER)
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf, name="冬季立减券")
    scarf_id = _scarf(session, shelf)
    room_title = session.get_one(Room, shelf.room_id).title
    session.commit()
    results_url = f"/api/experiments/{experiment_id}/results"
    nothing = client.get(results_url, headers=shelf.merchant.headers).json()
    assert (nothing["mechanics"], nothing["exposed"]) == ([], False)

    body = {"experiment_id": experiment_id, "depths": DEPTHS}
    client.put(f"/api/coupons/{coupon.id}/experiment", json=body, headers=shelf.merchant.headers)
    leads = {"shallow": scarf_id, "deep": shelf.product_id}
    body = {"experiment_id": experiment_id, "leads": leads}
    client.put(
        f"/api/rooms/{shelf.room_id}/shelf-experiment", json=body, headers=shelf.host.headers
    )
    results = client.get(results_url, headers=shelf.merchant.headers).json()
    assert results["mechanics"] == [
        {
            "kind": "coupon_depth",
            "target": f"coupon:{coupon.id}",
            "target_name": "冬季立减券",
            "values": DEPTHS,
            "value_names": {},
            "percent": False,
            "landings": {},
            "creatives": {},
        },
        {
            "kind": "shelf_order",
            "target": f"room:{shelf.room_id}",
            "target_name": room_title,
            "values": leads,
            "value_names": {"shallow": "围巾", "deep": "羽绒服"},
            "percent": False,
            "landings": {},
            "creatives": {},
        },
    ]
    assert results["exposed"] is False
    client.get(f"/api/coupons/{coupon.id}/offer", headers=viewer.headers)
    assert client.get(results_url, headers=shelf.merchant.headers).json()["exposed"] is True


def test_the_host_reading_their_shelf_is_not_exposed_and_can_still_change_it(
    session: Session, shelf: Shelf
) -> None:
    host = session.get_one(User, shelf.host.id)
    scarf_id = _scarf(session, shelf)
    experiment_id = _experiment(session, shelf.merchant)
    leads = {"shallow": scarf_id, "deep": shelf.product_id}
    body = ShelfExperimentIn(experiment_id=experiment_id, leads=leads)
    shelf_experiments.change_shelf_experiment(session, actor=host, room_id=shelf.room_id, body=body)
    seen = shelf_experiments.shelf_for(session, room_id=shelf.room_id, viewer=host)
    assert [product.id for product in seen] == [shelf.product_id, scarf_id]  # the host's order
    out = shelf_experiments.attached_shelf_experiment(session, actor=host, room_id=shelf.room_id)
    assert out.exposed is False
    shelf_experiments.detach_shelf_experiment(session, actor=host, room_id=shelf.room_id)


def test_the_page_offers_the_shops_coupons_not_yet_grabbed_or_ended(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    stranger = make_account(Role.MERCHANT)  # another shop's merchant
    merchant = session.get_one(User, shelf.merchant.id)
    open_coupon = _room_coupon(session, shelf)
    grabbed = _room_coupon(session, shelf, code="GRABBED1")
    grabbed.claimed = 1
    ended = _room_coupon(session, shelf, code="ENDED1")
    ended.ends_at = utcnow() - timedelta(minutes=1)
    session.flush()

    testable = coupon_experiments.testable_coupons(
        session, actor=merchant, shop_id=open_coupon.shop_id
    )
    assert [coupon.id for coupon in testable] == [open_coupon.id]
    assert (
        coupon_experiments.testable_coupons(
            session, actor=session.get_one(User, stranger.id), shop_id=open_coupon.shop_id
        )
        == []
    )  # another shop's merchant is offered none of them
    host = session.get_one(User, shelf.host.id)
    assert (
        coupon_experiments.testable_coupons(session, actor=host, shop_id=open_coupon.shop_id) == []
    )
