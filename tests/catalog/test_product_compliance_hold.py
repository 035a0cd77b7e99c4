"""Product copy against the advertising law: blocked copy is refused, copy that
needs a moderator is held (not listed, not buyable) until a moderator approves it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, text

from liveshop.accounts.models import Role
from liveshop.catalog import service as catalog
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import get_engine, unit_of_work
from liveshop.core.migrations import alembic_config, upgrade_database
from liveshop.core.settings import Settings
from tests.conftest import Account, MakeAccount, forget_engine
from tests.governance.helpers import api_client, make_room

ABSOLUTE_TERMS_RULE = "《广告法》第九条第三项：不得使用“国家级”“最高级”“最佳”等用语"
SUPERLATIVE_SUGGESTION = "删除最高级用语，改为可证实的具体描述（如参数、材质、检测数据）"
GRADE_SUGGESTION = "删除等级夸大用语，改为“优选”“精选”或标准等级的全称"
HELD_TITLE = "特级初榨橄榄油"  # a standard grade: a moderator decides
HELD_FINDING = {
    "field": "title",
    "term": "特级",
    "rule": ABSOLUTE_TERMS_RULE,
    "suggestion": GRADE_SUGGESTION,
    "verdict": "review",
}


def _create(client: TestClient, merchant: Account, title: str, **extra: Any) -> Response:
    body = {"title": title, "price": 9_900, "stock": 5} | extra
    return client.post("/api/products", json=body, headers=merchant.headers)


def _order(client: TestClient, buyer: Account, sku_id: int, key: str) -> Response:
    body = {"items": [{"sku_id": sku_id, "quantity": 1}]}
    return client.post("/api/orders", json=body, headers=buyer.headers | {"Idempotency-Key": key})


def _audited(settings: Settings) -> list[tuple[str, str, str]]:
    """The listing decisions in moderation's audit log, in order."""
    with unit_of_work(settings.resolved_database_url()) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("listing.%")).order_by(AuditEntry.seq)
        ).all()
        return [(entry.actor, entry.action, entry.subject) for entry in entries]


def _listed(client: TestClient, shop_id: int) -> list[int]:
    return [product["id"] for product in client.get(f"/api/shops/{shop_id}/products").json()]


def test_copy_with_a_blocking_absolute_claim_is_refused_with_its_findings(
    settings: Settings, make_account: MakeAccount
) -> None:
    merchant = make_account(Role.MERCHANT)
    with api_client(settings) as client:
        refused = _create(client, merchant, "全网最佳羽绒服", description="保暖")
        assert refused.status_code == 422
        assert refused.json() == {
            "detail": f"the product's copy cannot be published: title 「最佳」: "
            f"{ABSOLUTE_TERMS_RULE} ({SUPERLATIVE_SUGGESTION})",
            "code": "copy_blocked",
            "findings": [
                {
                    "field": "title",
                    "term": "最佳",
                    "rule": ABSOLUTE_TERMS_RULE,
                    "suggestion": SUPERLATIVE_SUGGESTION,
                    "verdict": "block",
                }
            ],
        }
        # Nothing was kept, not even the shop the first product would have opened.
        assert client.get("/api/shops/mine", headers=merchant.headers).status_code == 404

        product = _create(client, merchant, "羽绒服").json()
        assert (product["listing_status"], product["listing_findings"]) == ("published", [])
        edit = client.patch(
            f"/api/products/{product['id']}",
            json={"description": "国家级工艺"},
            headers=merchant.headers,
        )
        assert edit.status_code == 422
        assert [(f["field"], f["term"], f["verdict"]) for f in edit.json()["findings"]] == [
            ("description", "国家级", "block")
        ]
        kept = client.get(f"/api/products/{product['id']}").json()
        assert (kept["description"], kept["listing_status"]) == ("", "published")


def test_held_copy_is_hidden_and_unsellable_until_a_moderator_approves_it(
    settings: Settings, database_url: str, make_account: MakeAccount
) -> None:
    merchant, moderator = make_account(Role.MERCHANT), make_account(Role.MODERATOR)
    buyer, host = make_account(Role.VIEWER), make_account(Role.HOST)
    room_id = make_room(database_url, host)
    with api_client(settings) as client:
        created = _create(client, merchant, HELD_TITLE)
        assert created.status_code == 201, created.text
        product = created.json()
        product_id, shop_id, sku_id = product["id"], product["shop_id"], product["skus"][0]["id"]
        assert product["listing_status"] == "held_for_review"
        assert (product["listing_findings"], product["listing_note"]) == ([HELD_FINDING], None)

        assert _listed(client, shop_id) == []
        assert client.get(f"/api/products/{product_id}", headers=buyer.headers).status_code == 404
        mine = client.get("/api/shops/mine/products", headers=merchant.headers).json()
        assert [(p["id"], p["listing_status"]) for p in mine] == [(product_id, "held_for_review")]
        refused = _order(client, buyer, sku_id, "held-order-0001")
        assert refused.status_code == 409
        assert refused.json() == {
            "detail": f"product {product_id} is held for a moderator's review of its copy: "
            "it cannot be shown or sold until it is approved",
            "code": "product_not_published",
        }
        assert client.get("/api/orders", headers=buyer.headers).json() == []
        sale = {
            "room_id": room_id,
            "sku_id": sku_id,
            "price": 100,
            "quantity": 1,
            "starts_at": "2030-01-01T10:00:00+00:00",
            "ends_at": "2030-01-01T11:00:00+00:00",
        }
        flash = client.post("/api/flash-sales", json=sale, headers=merchant.headers)
        assert (flash.status_code, flash.json()["code"]) == (409, "product_not_published")
        assert (
            client.get(f"/api/products/{product_id}", headers=merchant.headers).json()[
                "total_stock"
            ]
            == 5
        )
        with (
            unit_of_work(database_url) as session,
            pytest.raises(catalog.ProductNotPublished),
        ):  # what a room should pin from
            catalog.get_published_product(session, product_id=product_id)

        own = client.post(f"/api/products/{product_id}/approve", headers=merchant.headers)
        assert (own.status_code, own.json()["code"]) == (403, "not_moderator")
        queue = client.get("/api/products/held", headers=moderator.headers).json()
        assert [(p["id"], p["listing_findings"]) for p in queue] == [(product_id, [HELD_FINDING])]
        approved = client.post(f"/api/products/{product_id}/approve", headers=moderator.headers)
        assert approved.status_code == 200
        assert approved.json()["listing_status"] == "published"
        assert _audited(settings) == [
            (f"user:{moderator.id}", "listing.approve", f"product:{product_id}")
        ]

        assert _listed(client, shop_id) == [product_id]
        assert client.get("/api/products/held", headers=moderator.headers).json() == []
        bought = _order(client, buyer, sku_id, "held-order-0002")
        assert bought.status_code == 201, bought.text
        assert client.get(f"/api/products/{product_id}").json()["skus"][0]["stock"] == 4
        # An edit that leaves the copy alone keeps the approval.
        restocked = client.patch(
            f"/api/products/{product_id}",
            json={"skus": [{"id": sku_id, "stock": 20}]},
            headers=merchant.headers,
        )
        assert restocked.json()["listing_status"] == "published"


def test_a_rejection_keeps_the_product_held_until_its_copy_is_fixed(
    settings: Settings, make_account: MakeAccount
) -> None:
    merchant, moderator = make_account(Role.MERCHANT), make_account(Role.MODERATOR)
    with api_client(settings) as client:
        product = _create(client, merchant, HELD_TITLE).json()
        url = f"/api/products/{product['id']}"
        reason = "“特级”须附等级检验报告"
        rejected = client.post(f"{url}/reject", json={"reason": reason}, headers=moderator.headers)
        assert rejected.status_code == 200
        assert _audited(settings) == [
            (f"user:{moderator.id}", "listing.reject", f"product:{product['id']}")
        ]
        assert (rejected.json()["listing_status"], rejected.json()["listing_note"]) == (
            "held_for_review",
            reason,
        )
        seen = client.get(url, headers=merchant.headers).json()
        assert (seen["listing_note"], seen["listing_findings"]) == (reason, [HELD_FINDING])
        assert client.get("/api/products/held", headers=moderator.headers).json() == []
        assert _listed(client, product["shop_id"]) == []

        fixed = client.patch(url, json={"title": "初榨橄榄油"}, headers=merchant.headers).json()
        assert (fixed["listing_status"], fixed["listing_findings"], fixed["listing_note"]) == (
            "published",
            [],
            None,
        )
        assert _listed(client, product["shop_id"]) == [product["id"]]
        again = client.post(f"{url}/approve", headers=moderator.headers)
        assert (again.status_code, again.json()["code"]) == (409, "not_held")


def test_nobody_approves_their_own_shops_product(
    settings: Settings, make_account: MakeAccount
) -> None:
    admin = make_account(Role.ADMIN)  # admins may keep a shop too
    with api_client(settings) as client:
        product = _create(client, admin, HELD_TITLE).json()
        own = client.post(f"/api/products/{product['id']}/approve", headers=admin.headers)
        assert (own.status_code, own.json()["code"]) == (403, "own_product")
        kept = client.get(f"/api/products/{product['id']}", headers=admin.headers).json()
        assert kept["listing_status"] == "held_for_review"


def test_products_from_before_listing_statuses_stay_published(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0013")
    with get_engine(url).begin() as connection:
        for statement in (
            "INSERT INTO users (id, username, password_hash, role, created_at)"
            " VALUES (1, 'old_merchant', 'x', 'MERCHANT', CURRENT_TIMESTAMP)",
            "INSERT INTO shops (id, owner_id, name, created_at)"
            " VALUES (1, 1, 'old shop', CURRENT_TIMESTAMP)",
            "INSERT INTO products (id, shop_id, title, description, category, brand, attributes,"
            " images, currency, created_at, updated_at) VALUES (1, 1, 'Tea', '', '', '', '{}',"
            " '[]', 'CNY', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO skus (id, product_id, code, options, price, stock, position)"
            " VALUES (1, 1, 'TEA-1', '{}', 1000, 5, 0)",
        ):
            connection.execute(text(statement))
    upgrade_database(url)
    with unit_of_work(url) as session:
        product = catalog.get_published_product(session, product_id=1)
        assert (product.listing_findings, product.listing_note) == ([], None)
    command.downgrade(alembic_config(url), "0013")
    with get_engine(url).connect() as connection:  # the SKUs survive the way back
        assert connection.scalar(text("SELECT count(*) FROM skus")) == 1
    forget_engine(url)
