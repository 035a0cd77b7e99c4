"""Campaigns' privacy hooks: a person's touches, exposures and pushes are exported and
erased; paid-order facts stay."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role
from liveshop.campaigns.models import Conversion, Exposure, Touch
from liveshop.campaigns.privacy_hooks import erase_campaign_data, export_campaign_data
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.privacy.registry import DataSubject
from tests.campaigns.helpers import flush_touches, new_campaign, new_link, order_and_pay
from tests.conftest import MakeAccount
from tests.live.helpers import shop_product


def test_export_and_erase(
    client: TestClient, make_account: MakeAccount, settings: Settings, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = shop_product(client, merchant)
    campaign = new_campaign(client, merchant)
    link = new_link(client, merchant, campaign["id"], f"product:{product['id']}", "douyin")
    client.get(f"/l/{link['code']}", headers=buyer.headers, follow_redirects=False)
    client.cookies.clear()  # the test client is everyone: keep the cookie off others' calls
    client.get(
        f"/api/products/{product['id']}", headers=buyer.headers | {"X-Attribution": link["code"]}
    )
    flush_touches(client)
    experiment = client.post(
        "/api/experiments",
        json={"name": "x", "variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]},
        headers=merchant.headers,
    ).json()
    client.get(f"/api/experiments/{experiment['id']}/assignment", headers=buyer.headers)
    order_and_pay(client, buyer, product["skus"][0]["id"], "privacy-1")

    with unit_of_work(database_url) as session:
        subject = DataSubject(session=session, user_id=buyer.id, settings=settings)
        exported = export_campaign_data(subject)
        assert [t["kind"] for t in exported["link_touches"]] == ["click", "call"]
        assert exported["link_touches"][0]["link"] == link["code"]
        assert len(exported["experiment_exposures"]) == 1
        assert erase_campaign_data(subject) == {
            "link_touches": 2,
            "experiment_exposures": 1,
            "push_recipients": 0,
            "share_links": 0,
        }
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).where(Touch.user_id == buyer.id)) == 0
        assert session.scalar(select(func.count()).where(Exposure.user_id == buyer.id)) == 0
        assert session.scalar(select(func.count()).select_from(Conversion)) == 1  # legal hold
