"""A coupon's depth A/B tested: each viewer is offered, grabs and pays with their sticky
variant's depth; the offer or the grab is the exposure; attaching is checked (the shop's
merchant, the shop's experiment, depths within the coupon's face, before any grab); the
experiment's results compare the depths from the orders viewers actually paid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.campaigns import experiments
from liveshop.campaigns.experiment_schemas import ExperimentIn, VariantIn
from liveshop.campaigns.models import Exposure
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.promotions import coupon_experiments, coupons
from liveshop.promotions.models import Coupon, CouponKind
from liveshop.promotions.pricing import PriceLine
from liveshop.promotions.schemas import CouponExperimentIn, CouponIn
from tests.campaigns.helpers import order_and_pay
from tests.conftest import Account, MakeAccount
from tests.promotions.conftest import Shelf, create_buyers

DEPTHS = {"shallow": 500, "deep": 1_500}  # minor units off; the coupon's face is 2,000


def _experiment(session: Session, merchant: Account) -> int:
    experiment = experiments.create_experiment(
        session,
        actor=session.get_one(User, merchant.id),
        body=ExperimentIn(
            name="券面额 5 元 vs 15 元",
            variants=[VariantIn(name=name, weight=1) for name in DEPTHS],
        ),
    )
    return experiment.id


def _room_coupon(session: Session, shelf: Shelf, **fields: Any) -> Coupon:
    """A drop in the room, made by its host (who staffs the merchant's shop)."""
    now = utcnow()
    body = {
        "code": f"DROP{now.microsecond}",
        "name": "直播间专享券",
        "kind": CouponKind.FIXED,
        "amount": 2_000,
        "room_id": shelf.room_id,
        "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(hours=2),
        "total_quantity": 1_000,
    }
    return coupons.create_coupon(
        session, actor=session.get_one(User, shelf.host.id), body=CouponIn(**(body | fields))
    )


def _attach(session: Session, actor: Account, coupon: Coupon, experiment_id: int, **depths: int):
    return coupon_experiments.attach_experiment(
        session,
        actor=session.get_one(User, actor.id),
        coupon=coupon,
        body=CouponExperimentIn(experiment_id=experiment_id, depths=depths or DEPTHS),
    )


def test_each_viewer_is_offered_grabs_and_pays_their_variants_depth(
    session: Session, shelf: Shelf, database_url: str
) -> None:
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    _attach(session, shelf.merchant, coupon, experiment_id)
    session.commit()
    viewers = create_buyers(database_url, 40, prefix="depth_viewer")
    experiment = experiments.get_experiment(session, experiment_id=experiment_id)
    line = PriceLine(
        sku_id=shelf.sku_id,
        product_id=shelf.product_id,
        title="羽绒服",
        unit_price=29_900,
        quantity=1,
        subtotal=29_900,
    )

    offered: dict[int, int] = {}
    for viewer_id in viewers:
        viewer = session.get_one(User, viewer_id)
        expected = DEPTHS[experiments.variant_for(experiment, viewer_id)]
        first = coupons.offer(session, user=viewer, coupon_id=coupon.id)
        again = coupons.offer(session, user=viewer, coupon_id=coupon.id)
        assert first.amount == again.amount == expected  # sticky
        held = coupons.grab_coupon(session, user=viewer, coupon_id=coupon.id)
        assert held.depth == expected
        [use] = coupons.discounts_for(
            session, buyer=viewer, codes=[coupon.code], lines=[line], shop_id=coupon.shop_id or 0
        )
        assert use.discount.amount == expected
        [in_wallet] = coupons.wallet(session, user=viewer)
        assert in_wallet.coupon.amount == expected
        offered[viewer_id] = expected
    session.commit()

    exposures = session.execute(
        select(Exposure.user_id, Exposure.variant).where(Exposure.experiment_id == experiment_id)
    ).tuples()
    logged = {user_id: DEPTHS[variant] for user_id, variant in exposures}
    assert logged == offered  # one exposure per viewer, at the depth they were given
    assert set(offered.values()) == set(DEPTHS.values())  # 40 viewers reach both arms
    public = coupons.coupon_out(session.get_one(Coupon, coupon.id))
    assert public.experiment
    assert public.amount == 2_000  # the face: no one's depth


def test_a_viewer_who_is_not_shown_the_offer_is_not_exposed(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    viewer_account, regulator = make_account(Role.VIEWER), make_account(Role.REGULATOR)
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    _attach(session, shelf.merchant, coupon, experiment_id)
    untested = _room_coupon(session, shelf, code="PLAIN2000")
    viewer = session.get_one(User, viewer_account.id)

    coupons.room_drops(session, room_id=shelf.room_id)  # the public list: nobody's depth
    coupons.get_coupon(session, coupon_id=coupon.id)
    assert coupons.offer(session, user=viewer, coupon_id=untested.id).amount == 2_000
    assert session.scalars(select(Exposure)).all() == []

    with pytest.raises(PermissionDenied):  # a regulator takes part in no experiment
        coupons.offer(
            session,
            user=session.get_one(User, regulator.id),
            coupon_id=coupon.id,
        )


def test_attaching_is_the_shops_merchants_with_the_shops_experiment_and_depths_in_range(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    stranger, admin, viewer_account = (
        make_account(role) for role in (Role.MERCHANT, Role.ADMIN, Role.VIEWER)
    )
    experiment_id = _experiment(session, shelf.merchant)
    catalog_product(session, stranger)
    strangers_experiment = _experiment(session, stranger)
    coupon = _room_coupon(session, shelf)

    for actor in (shelf.host, stranger, admin):  # staff, others, admins
        with pytest.raises(PermissionDenied):
            _attach(session, actor, coupon, experiment_id)
    with pytest.raises(NotFound):  # another shop's experiment reads as absent
        _attach(session, shelf.merchant, coupon, strangers_experiment)
    with pytest.raises(NotFound):
        _attach(session, shelf.merchant, coupon, 10**9)
    with pytest.raises(InvalidInput, match="between 1 and the coupon's 2000"):
        _attach(session, shelf.merchant, coupon, experiment_id, shallow=500, deep=2_001)
    with pytest.raises(InvalidInput, match="a depth for each variant"):
        _attach(session, shelf.merchant, coupon, experiment_id, shallow=500, other=1_000)
    percent = _room_coupon(session, shelf, code="PCT10", kind=CouponKind.PERCENT, percent=10)
    with pytest.raises(InvalidInput, match="coupon's 10"):
        _attach(session, shelf.merchant, percent, experiment_id, shallow=5, deep=12)
    assert _attach(session, shelf.merchant, percent, experiment_id, shallow=5, deep=10).depths == {
        "shallow": 5,
        "deep": 10,
    }
    with pytest.raises(Conflict, match="already in an experiment"):
        _attach(session, shelf.merchant, percent, experiment_id, shallow=5, deep=10)

    viewer = session.get_one(User, viewer_account.id)
    coupons.grab_coupon(session, user=viewer, coupon_id=coupon.id)
    with pytest.raises(Conflict, match="grabbed or has ended"):  # its first grab was at face
        _attach(session, shelf.merchant, coupon, experiment_id)


def catalog_product(session: Session, merchant: Account) -> None:
    """A merchant's first product opens their shop."""
    from liveshop.catalog import service as catalog
    from liveshop.catalog.schemas import ProductIn

    catalog.create_product(
        session,
        merchant=session.get_one(User, merchant.id),
        body=ProductIn(title="围巾", price=9_900, stock=10),
    )


# --- through the API: attach, offer, grab, pay, results ---


def test_the_experiments_results_compare_the_depths_viewers_paid_with(
    client: TestClient, shelf: Shelf, make_account: MakeAccount, session: Session
) -> None:
    viewers = [make_account(Role.VIEWER) for _ in range(6)]
    experiment = client.post(
        "/api/experiments",
        json={"name": "券深度", "variants": [{"name": n, "weight": 1} for n in DEPTHS]},
        headers=shelf.merchant.headers,
    ).json()
    coupon = _room_coupon(session, shelf)
    session.commit()
    url = f"/api/coupons/{coupon.id}/experiment"
    too_deep = {"experiment_id": experiment["id"], "depths": {"shallow": 500, "deep": 5_000}}
    refused = client.post(url, json=too_deep, headers=shelf.merchant.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "depth_out_of_range"
    body = {"experiment_id": experiment["id"], "depths": DEPTHS}
    assert client.post(url, json=body, headers=shelf.host.headers).status_code == 403
    attached = client.post(url, json=body, headers=shelf.merchant.headers)
    assert attached.status_code == 201, attached.text
    assert client.get(f"/api/coupons/{coupon.id}").json()["experiment"] is True

    paid_by_arm: dict[str, list[int]] = {name: [] for name in DEPTHS}
    for index in range(6):
        viewer = viewers[index]
        offer = client.get(f"/api/coupons/{coupon.id}/offer", headers=viewer.headers).json()
        grabbed = client.post(f"/api/coupons/{coupon.id}/grab", headers=viewer.headers)
        assert grabbed.status_code == 201, grabbed.text
        assert grabbed.json()["coupon"]["amount"] == offer["amount"]
        arm = next(name for name, depth in DEPTHS.items() if depth == offer["amount"])
        if index % 2 == 0:  # half of them buy
            order = order_and_pay(
                client, viewer, shelf.sku_id, f"depth-order-{viewer.id}", (coupon.code,)
            )
            assert order["total"] == 29_900 - offer["amount"]
            paid_by_arm[arm].append(order["total"])

    results = client.get(
        f"/api/experiments/{experiment['id']}/results", headers=shelf.merchant.headers
    ).json()
    by_name = {variant["name"]: variant for variant in results["variants"]}
    assert sum(variant["users"] for variant in by_name.values()) == 6
    for name, totals in paid_by_arm.items():
        assert by_name[name]["conversions"] == len(totals)
        assert by_name[name]["gmv"] == sum(totals)
