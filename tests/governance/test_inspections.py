"""Sampling inspections: the reproducible draw, recording results, delisting
failed products, the CLI and the admin API."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.catalog.models import Sku
from liveshop.cli import app as liveshop_cli
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.events import ProductDelisted
from liveshop.governance.inspections import (
    Candidate,
    is_product_delisted,
    pick,
    sample_size,
    unregister_order_sampling_source,
)
from liveshop.governance.inspections_cli import app as inspections_cli
from liveshop.governance.models import ProductDelisting, SubjectType
from liveshop.governance.scores import compute_score
from liveshop.orders.service import mark_paid
from tests.conftest import MakeAccount
from tests.governance.helpers import (
    api_client,
    make_shop_product,
    moderation_settings,
    recorded,
)
from tests.live.helpers import shop_product


def test_the_draw_is_reproducible_and_sized_by_the_rate() -> None:
    candidates = [Candidate(id=number, shop_id=1) for number in range(1, 101)]
    shuffled = candidates[:]
    random.Random(3).shuffle(shuffled)
    first = pick(candidates, rate=Decimal("0.05"), seed="2026-Q2")
    assert pick(shuffled, rate=Decimal("0.05"), seed="2026-Q2") == first  # input order is moot
    assert first == random.Random("2026-Q2").sample(candidates, 5)
    assert pick(candidates, rate=Decimal("0.05"), seed="other") != first
    assert [sample_size(n, Decimal("0.05")) for n in (0, 1, 9, 10, 30, 100)] == [0, 1, 1, 1, 2, 5]
    assert sample_size(3, Decimal("1")) == 3


def _lines(output: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_cli_samples_reproducibly_and_a_failed_product_is_delisted(
    cli_env: None, database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    products = [make_shop_product(database_url, merchant, title=f"P{n}")[1] for n in range(10)]
    shop_id = make_shop_product(database_url, merchant, title="last")[0]
    runner = CliRunner()
    args = ["sample", "--rate", "0.2", "--seed", "s1", "--format", "json"]
    first = runner.invoke(inspections_cli, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(inspections_cli, args)
    picked = [row["target_id"] for row in _lines(first.output)]
    assert picked == [row["target_id"] for row in _lines(second.output)]
    expected = random.Random("s1").sample(sorted([*products, products[-1] + 1]), 2)
    assert picked == expected
    inspection_id = _lines(first.output)[0]["id"]
    product_id = picked[0]
    no_findings = runner.invoke(inspections_cli, ["record", str(inspection_id), "--result", "fail"])
    assert no_findings.exit_code == 1
    assert "bad_findings" in no_findings.output
    with recorded(ProductDelisted) as events:
        failed = runner.invoke(
            inspections_cli,
            ["record", str(inspection_id), "--result", "fail", "--findings", "lead above limit"],
        )
    assert failed.exit_code == 0, failed.output
    assert [(e.product_id, e.shop_id, e.inspection_id) for e in events] == [
        (product_id, shop_id, inspection_id)
    ]
    again = runner.invoke(inspections_cli, ["record", str(inspection_id), "--result", "pass"])
    assert again.exit_code == 1
    assert "recorded" in again.output
    with unit_of_work(database_url) as session:
        assert is_product_delisted(session, product_id)
        assert session.scalars(select(Sku.stock).where(Sku.product_id == product_id)).all() == [0]
        delisting = session.scalars(select(ProductDelisting)).one()
        assert list(delisting.withdrawn_stock.values()) == [10]
        score = compute_score(
            session,
            subject_type=SubjectType.SHOP,
            subject_id=shop_id,
            settings=moderation_settings(),
        )
        assert [(r.code, r.deduction) for r in score.reasons] == [("failed_inspections", 10)]


def test_the_liveshop_command_samples_paid_orders_from_orders_own_source(
    cli_env: None, client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = shop_product(client, merchant)
    orders = []
    for number in range(4):
        placed = client.post(
            "/api/orders",
            json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
            headers=buyer.headers | {"Idempotency-Key": f"sampled-{number}"},
        )
        assert placed.status_code == 201, placed.text
        orders.append(placed.json()["id"])
    with unit_of_work(database_url) as session:
        for order_id in orders[:3]:  # the fourth is never paid: nothing to inspect
            mark_paid(session, order_id=order_id, payment_ref=f"pay-{order_id}")
    unregister_order_sampling_source()  # the command must connect orders itself

    command = ["inspections", "sample", "--of", "orders", "--rate", "0.5", "--seed", "7"]
    result = CliRunner().invoke(liveshop_cli, [*command, "--format", "json"])

    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert [row["target_id"] for row in rows] == random.Random("7").sample(orders[:3], 2)
    assert {(row["target_type"], row["shop_id"]) for row in rows} == {("order", product["shop_id"])}


def test_admin_api_samples_and_records(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    admin = make_account(Role.ADMIN)
    moderator = make_account(Role.MODERATOR)
    _, product_id = make_shop_product(database_url, merchant)
    with api_client(settings) as client:
        body = {"rate": "1", "seed": "x"}
        refused = client.post("/api/admin/inspections/sample", json=body, headers=moderator.headers)
        assert refused.status_code == 403
        bad = client.post(
            "/api/admin/inspections/sample", json={"rate": "1.5"}, headers=admin.headers
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "bad_rate")
        sampled = client.post("/api/admin/inspections/sample", json=body, headers=admin.headers)
        assert [row["target_id"] for row in sampled.json()] == [product_id]
        inspection_id = sampled.json()[0]["id"]
        passed = client.post(
            f"/api/admin/inspections/{inspection_id}/result",
            json={"result": "pass", "findings": "as labelled"},
            headers=admin.headers,
        )
        assert passed.json()["result"] == "pass"
        listed = client.get("/api/admin/inspections?result=pass", headers=admin.headers).json()
        assert [row["id"] for row in listed] == [inspection_id]
    with unit_of_work(database_url) as session:
        assert not is_product_delisted(session, product_id)
