"""A tracking link's landing page A/B tested: a click puts the person in their sticky
variant (by user when signed in, else by the attribution cookie's visitor), logs the
exposure once, and lands them on their variant's page; the orders they pay after count
in the experiment's results (a visitor's as the user their cookie is later seen signed
in as, counted once); the test changes or detaches only before anyone is exposed; a
person's signed-out exposures are exported and erased with their data."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role
from liveshop.campaigns import experiments
from liveshop.campaigns.models import Exposure, VisitorExposure
from liveshop.campaigns.privacy_hooks import erase_campaign_data, export_campaign_data
from liveshop.campaigns.tracking import ATTRIBUTION_COOKIE
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.privacy.registry import DataSubject
from tests.campaigns.helpers import flush_touches, new_campaign, new_link, order_and_pay
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product

VARIANTS = ("poster_a", "poster_b")


def _experiment(client: TestClient, merchant: Account) -> dict[str, Any]:
    body = {"name": "落地页 A/B", "variants": [{"name": n, "weight": 1} for n in VARIANTS]}
    created = client.post("/api/experiments", json=body, headers=merchant.headers)
    assert created.status_code == 201, created.text
    experiment: dict[str, Any] = created.json()
    return experiment


def _tested_link(client: TestClient, merchant: Account) -> tuple[dict[str, Any], ...]:
    """Product A's douyin link, its clicks landing on product A or B by variant."""
    coat = shop_product(client, merchant, title="羽绒服", price=29_900)
    scarf = shop_product(client, merchant, title="围巾", price=9_900)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"product:{coat['id']}", "douyin")
    experiment = _experiment(client, merchant)
    landings = {
        "poster_a": {"target": f"product:{coat['id']}", "creative": "海报A"},
        "poster_b": {"target": f"product:{scarf['id']}", "creative": "海报B"},
    }
    body = {"experiment_id": experiment["id"], "landings": landings}
    put = client.put(f"/api/links/{link['code']}/experiment", json=body, headers=merchant.headers)
    assert put.status_code == 200, put.text
    assert put.json() == {
        "code": link["code"],
        "experiment_id": experiment["id"],
        "landings": landings,
        "exposed": False,
    }
    return coat, scarf, link, experiment


def _visitor(client: TestClient) -> str:
    return client.cookies[ATTRIBUTION_COOKIE].partition(".")[2]


def test_clicks_land_on_each_persons_variant_and_paid_orders_count(
    client: TestClient, make_account: MakeAccount, session: Session
) -> None:
    merchant, member, newcomer = (
        make_account(role) for role in (Role.MERCHANT,) + (Role.VIEWER,) * 2
    )
    coat, scarf, link, experiment_out = _tested_link(client, merchant)
    pages = {"poster_a": f"/products/{coat['id']}", "poster_b": f"/products/{scarf['id']}"}
    experiment = experiments.get_experiment(session, experiment_id=experiment_out["id"])
    session.commit()

    landed: dict[str, str] = {}
    for _ in range(12):  # twelve browsers, signed out
        client.cookies.clear()
        first = client.get(f"/l/{link['code']}", follow_redirects=False)
        again = client.get(f"/l/{link['code']}", follow_redirects=False)
        visitor = _visitor(client)
        assert first.status_code == 302
        assert first.headers["location"] == again.headers["location"]  # sticky
        assert (
            first.headers["location"] == pages[experiments.visitor_variant_for(experiment, visitor)]
        )
        landed[visitor] = first.headers["location"]
    assert set(landed.values()) == set(pages.values())  # both pages were shown

    client.cookies.clear()
    signed_in = client.get(f"/l/{link['code']}", headers=member.headers, follow_redirects=False)
    assert signed_in.headers["location"] == pages[experiments.variant_for(experiment, member.id)]

    client.cookies.clear()  # a newcomer clicks signed out, then signs up and buys
    clicked = client.get(f"/l/{link['code']}", follow_redirects=False)
    newcomer_variant = experiments.visitor_variant_for(experiment, _visitor(client))
    client.get(f"/api/products/{coat['id']}", headers=newcomer.headers)  # the cookie, signed in
    flush_touches(client)
    order = order_and_pay(client, newcomer, coat["skus"][0]["id"], "landing-order")
    assert clicked.headers["location"] == pages[newcomer_variant]

    visitors = session.scalars(
        select(VisitorExposure.visitor).where(VisitorExposure.experiment_id == experiment.id)
    ).all()
    assert len(visitors) == 13
    users = session.scalars(
        select(Exposure.user_id).where(Exposure.experiment_id == experiment.id)
    ).all()
    assert users == [member.id]
    results = client.get(
        f"/api/experiments/{experiment.id}/results", headers=merchant.headers
    ).json()
    by_name = {variant["name"]: variant for variant in results["variants"]}
    assert sum(variant["users"] for variant in by_name.values()) == 14
    assert by_name[newcomer_variant]["conversions"] == 1
    assert by_name[newcomer_variant]["gmv"] == order["total"]
    other = next(name for name in VARIANTS if name != newcomer_variant)
    assert (by_name[other]["conversions"], by_name[other]["gmv"]) == (0, 0)
    assert results["mechanics"] == [
        {
            "kind": "landing",
            "target": f"link:{link['code']}",
            "target_name": "双十二预热 · douyin",
            "values": {},
            "value_names": {"poster_a": "羽绒服", "poster_b": "围巾"},
            "landings": {"poster_a": f"product:{coat['id']}", "poster_b": f"product:{scarf['id']}"},
            "creatives": {"poster_a": "海报A", "poster_b": "海报B"},
            "percent": False,
        }
    ]


def test_the_test_changes_only_before_anyone_lands_and_stays_in_the_shop(
    client: TestClient, make_account: MakeAccount, session: Session
) -> None:
    merchant, stranger, regulator = (
        make_account(role) for role in (Role.MERCHANT, Role.MERCHANT, Role.REGULATOR)
    )
    coat, scarf, link, experiment = _tested_link(client, merchant)
    hat = shop_product(client, stranger, title="帽子")
    strangers_experiment = _experiment(client, stranger)
    url = f"/api/links/{link['code']}/experiment"

    def body(target: str, experiment_id: int = experiment["id"]) -> dict[str, Any]:
        landing = {"target": target, "creative": ""}
        return {"experiment_id": experiment_id, "landings": dict.fromkeys(VARIANTS, landing)}

    refused = client.put(url, json=body(f"product:{hat['id']}"), headers=merchant.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "target_not_yours")
    foreign = body(f"product:{coat['id']}", strangers_experiment["id"])
    assert client.put(url, json=foreign, headers=merchant.headers).status_code == 404
    assert (
        client.put(url, json=body(f"product:{coat['id']}"), headers=stranger.headers).status_code
        == 404
    )
    assert client.get(url, headers=stranger.headers).status_code == 404
    changed = client.put(url, json=body(f"product:{scarf['id']}"), headers=merchant.headers)
    assert changed.status_code == 200, changed.text
    assert client.delete(url, headers=merchant.headers).status_code == 204
    assert client.get(url, headers=merchant.headers).status_code == 404
    plain = client.get(f"/l/{link['code']}", follow_redirects=False)
    assert plain.headers["location"] == f"/products/{coat['id']}"  # detached: no exposure
    assert session.scalars(select(VisitorExposure)).all() == []
    session.rollback()  # end the read: the next calls write

    assert (
        client.put(url, json=body(f"product:{scarf['id']}"), headers=merchant.headers).status_code
        == 200
    )
    client.cookies.clear()
    by_regulator = client.get(
        f"/l/{link['code']}", headers=regulator.headers, follow_redirects=False
    )
    assert by_regulator.headers["location"] == f"/products/{coat['id']}"  # in no experiment
    assert client.get(url, headers=merchant.headers).json()["exposed"] is False
    client.cookies.clear()
    client.get(f"/l/{link['code']}", follow_redirects=False)
    assert client.get(url, headers=merchant.headers).json()["exposed"] is True
    late = client.put(url, json=body(f"product:{coat['id']}"), headers=merchant.headers)
    assert (late.status_code, late.json()["code"]) == (409, "experiment_exposed")
    assert client.delete(url, headers=merchant.headers).status_code == 409
    assert client.get(url, headers=merchant.headers).json()["landings"]["poster_a"]["target"] == (
        f"product:{scarf['id']}"
    )


def test_a_persons_signed_out_exposures_are_exported_and_erased_with_them(
    client: TestClient,
    make_account: MakeAccount,
    settings: Settings,
    database_url: str,
    session: Session,
) -> None:
    merchant, person, other = (
        make_account(role) for role in (Role.MERCHANT, Role.VIEWER, Role.VIEWER)
    )
    coat, _scarf, link, experiment = _tested_link(client, merchant)
    client.get(f"/l/{link['code']}", follow_redirects=False)  # signed out
    client.get(f"/api/products/{coat['id']}", headers=person.headers)  # then signed in
    flush_touches(client)
    client.cookies.clear()
    client.get(f"/l/{link['code']}", follow_redirects=False)  # someone else's browser
    client.get(f"/api/products/{coat['id']}", headers=other.headers)
    flush_touches(client)

    with unit_of_work(database_url) as writer:
        subject = DataSubject(session=writer, user_id=person.id, settings=settings)
        exported = export_campaign_data(subject)["experiment_exposures"]
        assert [(e["experiment_id"], e["variant"]) for e in exported] == [
            (experiment["id"], exported[0]["variant"])
        ]
        assert erase_campaign_data(subject)["experiment_exposures"] == 1
    remaining = session.scalars(select(VisitorExposure.visitor)).all()
    assert remaining == [_visitor(client)]  # the other person's stays
