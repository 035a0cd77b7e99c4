"""A campaign's coupon link through HTTP (issue 15 §1): ``/l/{code}`` leads to the
coupon's landing page, a signed-out visitor signs in (or up) and comes back to it, one
tap claims it through promotions' grab (its per-user limit holds), and the attribution
cookie survives the round trip."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.campaigns.models import Touch, TouchKind
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from tests.campaigns.helpers import Json, flush_touches, new_campaign, new_link
from tests.conftest import PASSWORD, Account, MakeAccount
from tests.live.helpers import shop_product

HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _shop_coupon(client: TestClient, merchant: Account) -> Json:
    shop_product(client, merchant)
    created = client.post(
        "/api/coupons",
        json={
            "code": "LINK10",
            "name": "新客立减券",
            "kind": "threshold",
            "threshold": 10_000,
            "amount": 1_000,
            "starts_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
            "total_quantity": 5,
            "per_user_limit": 1,
        },
        headers=merchant.headers,
    )
    assert created.status_code == 201, created.text
    coupon: Json = created.json()
    return coupon


def _coupon_link(client: TestClient, merchant: Account) -> tuple[Json, str]:
    coupon = _shop_coupon(client, merchant)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"coupon:{coupon['id']}", "douyin")
    return coupon, link["code"]


def _sign_in_by_form(client: TestClient, path: str, fields: dict[str, str]) -> str:
    """Open the form at ``path`` (with its ``next``), submit it; where it sends us."""
    form = client.get(path)
    assert form.status_code == 200, form.text
    found = HIDDEN_CSRF.search(form.text)
    assert found is not None
    submitted = client.post(
        path.split("?")[0],
        data={"csrf_token": found.group(1), "next": path.split("next=")[1]} | fields,
        follow_redirects=False,
    )
    assert submitted.status_code == 303, submitted.text
    location: str = submitted.headers["location"]
    return location


def test_a_coupon_link_survives_sign_in_and_one_tap_claims_it(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, shopper = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    coupon, code = _coupon_link(client, merchant)
    landing = f"/coupons/{coupon['id']}"

    followed = client.get(f"/l/{code}", follow_redirects=False)
    assert (followed.status_code, followed.headers["location"]) == (302, landing)
    attribution = client.cookies["ls_attr"]
    assert attribution.startswith(f"{code}.")

    signed_out = client.get(landing)
    assert signed_out.status_code == 200
    assert "新客立减券" in signed_out.text
    assert f'href="/login?next={landing}"' in signed_out.text
    assert f'href="/register?next={landing}"' in signed_out.text
    assert 'id="coupon-claim"' not in signed_out.text

    back = _sign_in_by_form(
        client,
        f"/login?next={landing}",
        {"username": shopper.username, "password": PASSWORD},
    )
    assert back == landing
    page = client.get(landing)
    assert 'id="coupon-claim"' in page.text
    csrf = META_CSRF.search(page.text)
    assert csrf is not None

    tap = client.post(f"/api/coupons/{coupon['id']}/grab", headers={"X-CSRF-Token": csrf.group(1)})
    assert tap.status_code == 201, tap.text
    again = client.post(
        f"/api/coupons/{coupon['id']}/grab", headers={"X-CSRF-Token": csrf.group(1)}
    )
    assert (again.status_code, again.json()["code"]) == (429, "coupon_limit")
    claimed = client.get(landing)
    assert 'id="coupon-claim"' not in claimed.text
    assert 'id="coupon-state"><strong>已领取' in claimed.text
    wallet = client.get("/api/coupons/mine", headers=shopper.headers).json()
    assert [held["coupon"]["id"] for held in wallet] == [coupon["id"]]

    assert client.cookies["ls_attr"] == attribution
    flush_touches(client)
    with unit_of_work(database_url) as session:
        kinds = session.execute(select(Touch.kind, Touch.user_id).order_by(Touch.id)).all()
    assert kinds[0] == (TouchKind.CLICK, shopper.id)  # the anonymous click is theirs now
    assert {user_id for _kind, user_id in kinds} == {shopper.id}


def test_a_newcomer_signs_up_from_the_coupon_and_lands_back_on_it(
    client: TestClient, make_account: MakeAccount
) -> None:
    coupon, code = _coupon_link(client, make_account(Role.MERCHANT))
    landing = f"/coupons/{coupon['id']}"
    assert client.get(f"/l/{code}", follow_redirects=False).headers["location"] == landing

    form = client.get(f"/register?next={landing}")
    assert f'action="/register?next={landing}"' in form.text
    csrf = HIDDEN_CSRF.search(form.text)
    assert csrf is not None
    too_short = client.post(
        f"/register?next={landing}",
        data={"csrf_token": csrf.group(1), "next": landing, "username": "li", "password": "x"},
    )
    assert too_short.status_code == 422
    assert f'name="next" value="{landing}"' in too_short.text  # kept for the second try
    back = _sign_in_by_form(
        client,
        f"/register?next={landing}",
        {"username": "newcomer_li", "password": PASSWORD},
    )

    assert back == landing
    assert 'id="coupon-claim"' in client.get(landing).text


def test_the_landing_page_of_a_missing_or_used_up_coupon(
    client: TestClient, make_account: MakeAccount, viewer: Account
) -> None:
    coupon = _shop_coupon(client, make_account(Role.MERCHANT))
    assert client.get("/coupons/999999").status_code == 404
    for index in range(5):
        grabbed = client.post(
            f"/api/coupons/{coupon['id']}/grab",
            headers=make_account(Role.VIEWER, f"early_{index}").headers,
        )
        assert grabbed.status_code == 201, grabbed.text
    client.cookies.set("liveshop_session", viewer.token)
    gone = client.get(f"/coupons/{coupon['id']}")
    assert 'id="coupon-state">券已被抢光' in gone.text
    assert 'id="coupon-claim"' not in gone.text
