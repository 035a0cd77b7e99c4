"""Experiments through the API: sticky assignment, the exposure log, results counting
only orders paid after the assignment, access."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role
from liveshop.campaigns.experiments import bucket_of, variant_for
from liveshop.campaigns.models import Experiment, Exposure
from liveshop.core.db import unit_of_work
from tests.campaigns.helpers import order_and_pay
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product


def _experiment(client: TestClient, merchant: Account, **more: Any) -> dict[str, Any]:
    response = client.post(
        "/api/experiments",
        json={
            "name": "countdown 10s vs 30s",
            "variants": [{"name": "control", "weight": 1}, {"name": "short", "weight": 1}],
            "metric": "conversion",
            **more,
        },
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    experiment: dict[str, Any] = response.json()
    return experiment


def test_assignment_is_sticky_and_the_exposure_is_logged_once(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, viewer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    shop_product(client, merchant)
    experiment = _experiment(client, merchant)
    url = f"/api/experiments/{experiment['id']}/assignment"

    answers = [client.get(url, headers=viewer.headers).json() for _ in range(3)]

    assert len({answer["variant"] for answer in answers}) == 1
    assert len({answer["exposed_at"] for answer in answers}) == 1
    assert answers[0]["variant"] in ("control", "short")
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Exposure)) == 1
    regulator = make_account(Role.REGULATOR)
    assert client.get(url, headers=regulator.headers).status_code == 403


def test_weights_split_users_evenly_by_hash() -> None:
    experiment = Experiment(
        id=7, variants=[{"name": "a", "weight": 1}, {"name": "b", "weight": 3}], metric="conversion"
    )
    chosen = [variant_for(experiment, user_id) for user_id in range(1, 20_001)]
    share_b = chosen.count("b") / len(chosen)
    assert 0.74 < share_b < 0.76
    assert variant_for(experiment, 42) == variant_for(experiment, 42)
    assert bucket_of(7, 42) != bucket_of(8, 42)  # experiments are independent


def test_results_count_orders_paid_after_the_assignment(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    product = shop_product(client, merchant, price=9_900)
    sku_id = product["skus"][0]["id"]
    experiment = _experiment(client, merchant, planned_users_per_variant=100)
    early, late, idle = (make_account(Role.VIEWER) for _ in range(3))
    order_and_pay(client, early, sku_id, "before-assignment")
    for person in (early, late, idle):
        client.get(f"/api/experiments/{experiment['id']}/assignment", headers=person.headers)
    order_and_pay(client, late, sku_id, "after-assignment")

    response = client.get(f"/api/experiments/{experiment['id']}/results", headers=merchant.headers)
    assert response.status_code == 200, response.text
    results = response.json()
    by_name = {variant["name"]: variant for variant in results["variants"]}
    assert sum(v["users"] for v in by_name.values()) == 3
    assert sum(v["conversions"] for v in by_name.values()) == 1  # only the late buyer
    assert sum(v["gmv"] for v in by_name.values()) == 9_900
    for variant in by_name.values():
        if variant["users"]:
            assert variant["rate"] == round(variant["conversions"] / variant["users"], 6)
            assert variant["ci_low"] <= variant["rate"] <= variant["ci_high"]
    assert results["control"] == "control"
    assert results["horizon_reached"] is False
    assert "do not stop" in results["guidance"]
    rival = make_account(Role.MERCHANT)
    shop_product(client, rival, title="hat")
    hidden = client.get(f"/api/experiments/{experiment['id']}/results", headers=rival.headers)
    assert hidden.status_code == 404


def test_the_sample_size_calculator(client: TestClient) -> None:
    answer = client.get(
        "/api/experiments/sample-size", params={"baseline": 0.1, "minimum_effect": 0.02}
    )
    assert answer.status_code == 200
    assert answer.json()["users_per_variant"] == 3_841
    undefined = client.get(
        "/api/experiments/sample-size", params={"baseline": 0.95, "minimum_effect": 0.1}
    )
    assert undefined.status_code == 422
    tiny_alpha = client.get(
        "/api/experiments/sample-size",
        params={"baseline": 0.1, "minimum_effect": 0.02, "alpha": 1e-323},
    )
    assert tiny_alpha.status_code == 422  # was a 500: an infinite normal quantile
