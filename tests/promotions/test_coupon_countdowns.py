"""A coupon's countdown A/B tested: the first time a viewer is shown the coupon (or grabs
it), their window opens at their sticky variant's length, once, and that is the
experiment's exposure; after the window, their grab is refused and nothing is taken;
attaching, changing and detaching follow the coupon depth's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.campaigns import experiments
from liveshop.campaigns.models import Exposure
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liveshop.promotions import coupon_countdowns, coupons
from liveshop.promotions.models import Coupon, CouponCountdown, UserCoupon
from liveshop.promotions.schemas import CouponCountdownIn
from tests.conftest import MakeAccount
from tests.promotions.conftest import Shelf, create_buyers
from tests.promotions.test_coupon_experiments import _experiment, _room_coupon

SECONDS = {"shallow": 30, "deep": 300}  # the experiment's variants, as the depth tests'


def _attach(session: Session, shelf: Shelf, coupon: Coupon, experiment_id: int, **seconds: int):
    return coupon_countdowns.change_countdown(
        session,
        actor=session.get_one(User, shelf.merchant.id),
        coupon=coupon,
        body=CouponCountdownIn(experiment_id=experiment_id, seconds=seconds or SECONDS),
    )


def test_each_viewers_window_opens_once_at_their_variants_length(
    session: Session, shelf: Shelf, database_url: str
) -> None:
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    _attach(session, shelf, coupon, experiment_id)
    session.commit()
    viewers = create_buyers(database_url, 30, prefix="countdown_viewer")
    experiment = experiments.get_experiment(session, experiment_id=experiment_id)

    for viewer_id in viewers:
        before = utcnow()
        offered = coupons.offer(session, user=session.get_one(User, viewer_id), coupon_id=coupon.id)
        again = coupons.offer(session, user=session.get_one(User, viewer_id), coupon_id=coupon.id)
        seconds = SECONDS[experiments.variant_for(experiment, viewer_id)]
        assert offered.countdown is True
        assert offered.offer_ends_at is not None
        assert before + timedelta(seconds=seconds) <= offered.offer_ends_at
        assert offered.offer_ends_at <= utcnow() + timedelta(seconds=seconds)
        assert again.offer_ends_at == offered.offer_ends_at  # opened once
    session.commit()

    windows = dict(
        session.execute(select(CouponCountdown.user_id, CouponCountdown.seconds)).tuples().all()
    )
    assert windows == {
        viewer_id: SECONDS[experiments.variant_for(experiment, viewer_id)] for viewer_id in viewers
    }
    exposed = session.scalars(
        select(Exposure.user_id).where(Exposure.experiment_id == experiment_id)
    ).all()
    assert sorted(exposed) == sorted(viewers)
    assert set(windows.values()) == set(SECONDS.values())  # both lengths were given


def test_a_grab_after_the_viewers_window_is_refused_and_takes_nothing(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    late, prompt, unseen = (make_account(Role.VIEWER) for _ in range(3))
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    _attach(session, shelf, coupon, experiment_id)
    for viewer in (late, prompt):
        coupons.offer(session, user=session.get_one(User, viewer.id), coupon_id=coupon.id)
    session.execute(  # the late viewer's countdown has run out
        update(CouponCountdown)
        .where(CouponCountdown.user_id == late.id)
        .values(ends_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()

    with pytest.raises(Conflict, match="run out"):
        coupons.grab_coupon(session, user=session.get_one(User, late.id), coupon_id=coupon.id)
    session.rollback()
    assert session.get_one(Coupon, coupon.id).claimed == 0
    assert session.scalars(select(UserCoupon)).all() == []

    coupons.grab_coupon(session, user=session.get_one(User, prompt.id), coupon_id=coupon.id)
    coupons.grab_coupon(session, user=session.get_one(User, unseen.id), coupon_id=coupon.id)
    session.commit()  # a grab unseen opens the window and is inside it
    assert session.get_one(Coupon, coupon.id).claimed == 2
    window = session.scalars(
        select(CouponCountdown.ends_at).where(CouponCountdown.user_id == unseen.id)
    ).one()
    assert as_utc(window) > utcnow()


def test_attaching_changing_and_detaching_follow_the_depths_rules(
    session: Session, shelf: Shelf, make_account: MakeAccount
) -> None:
    viewer = make_account(Role.VIEWER)
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf)
    merchant = session.get_one(User, shelf.merchant.id)

    with pytest.raises(PermissionDenied):  # the host staffs the shop: the merchant's call
        coupon_countdowns.change_countdown(
            session,
            actor=session.get_one(User, shelf.host.id),
            coupon=coupon,
            body=CouponCountdownIn(experiment_id=experiment_id, seconds=SECONDS),
        )
    with pytest.raises(InvalidInput, match="5 to 86400 seconds"):
        _attach(session, shelf, coupon, experiment_id, shallow=4, deep=60)
    with pytest.raises(InvalidInput, match="a length for each variant"):
        _attach(session, shelf, coupon, experiment_id, shallow=30, other=60)
    with pytest.raises(NotFound):
        _attach(session, shelf, coupon, 10**9)
    _attach(session, shelf, coupon, experiment_id, shallow=10, deep=20)
    changed = _attach(session, shelf, coupon, experiment_id)
    assert (changed.seconds, changed.exposed) == (SECONDS, False)
    coupon_countdowns.detach_countdown(session, actor=merchant, coupon=coupon)
    assert (coupon.countdown_experiment_id, coupon.countdown_seconds) == (None, None)
    assert coupons.offer(session, user=session.get_one(User, viewer.id), coupon_id=coupon.id) == (
        coupons.coupon_out(coupon)
    )  # untested: no window, nobody exposed
    assert session.scalars(select(Exposure)).all() == []

    _attach(session, shelf, coupon, experiment_id)
    coupons.offer(session, user=session.get_one(User, viewer.id), coupon_id=coupon.id)
    with pytest.raises(Conflict, match="shown this coupon's countdown"):
        _attach(session, shelf, coupon, experiment_id, shallow=10, deep=20)
    with pytest.raises(Conflict, match="stays attached"):
        coupon_countdowns.detach_countdown(session, actor=merchant, coupon=coupon)
    session.commit()
    session.expire_all()
    assert session.get_one(Coupon, coupon.id).countdown_seconds == SECONDS


def test_the_routes_attach_offer_refuse_late_and_name_the_mechanic(
    client: TestClient, shelf: Shelf, make_account: MakeAccount, session: Session
) -> None:
    viewer = make_account(Role.VIEWER)
    experiment_id = _experiment(session, shelf.merchant)
    coupon = _room_coupon(session, shelf, name="限时券")
    session.commit()
    url = f"/api/coupons/{coupon.id}/countdown-experiment"
    assert client.get(url, headers=shelf.merchant.headers).status_code == 404
    body = {"experiment_id": experiment_id, "seconds": SECONDS}
    assert client.put(url, json=body, headers=shelf.host.headers).status_code == 403
    put = client.put(url, json=body, headers=shelf.merchant.headers)
    assert put.status_code == 200, put.text
    assert put.json() == {
        "coupon_id": coupon.id,
        "experiment_id": experiment_id,
        "seconds": SECONDS,
        "exposed": False,
    }
    assert client.get(f"/api/coupons/{coupon.id}").json()["countdown"] is True
    assert client.get(f"/api/coupons/{coupon.id}").json()["offer_ends_at"] is None

    offer = client.get(f"/api/coupons/{coupon.id}/offer", headers=viewer.headers).json()
    assert offer["offer_ends_at"] is not None
    session.execute(
        update(CouponCountdown)
        .where(CouponCountdown.user_id == viewer.id)
        .values(ends_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    late = client.post(f"/api/coupons/{coupon.id}/grab", headers=viewer.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "offer_expired"
    refused = client.delete(url, headers=shelf.merchant.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "experiment_exposed"

    results = client.get(
        f"/api/experiments/{experiment_id}/results", headers=shelf.merchant.headers
    ).json()
    assert results["mechanics"] == [
        {
            "kind": "coupon_countdown",
            "target": f"coupon:{coupon.id}",
            "target_name": "限时券",
            "values": SECONDS,
            "value_names": {},
            "percent": False,
            "landings": {},
            "creatives": {},
        }
    ]
    assert sum(variant["users"] for variant in results["variants"]) == 1
