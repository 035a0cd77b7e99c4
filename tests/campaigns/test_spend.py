"""Spend imports: our CSV, JSON rows, the ad platforms' exports, and refusals that
write nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.campaigns.models import SpendRow
from liveshop.campaigns.spend import parse_major_units
from liveshop.core.db import unit_of_work
from tests.campaigns.helpers import new_campaign
from tests.conftest import Account, MakeAccount
from tests.live.helpers import shop_product


@pytest.fixture
def campaign_setup(client: TestClient, make_account: MakeAccount) -> tuple[Account, int]:
    merchant = make_account(Role.MERCHANT)
    shop_product(client, merchant)
    campaign = new_campaign(
        client, merchant, channels=("douyin", "facebook", "google", "tiktok", "wechat")
    )
    return merchant, campaign["id"]


def _post_csv(client: TestClient, who: Account, campaign_id: int, text: str, **params: str) -> Any:
    return client.post(
        f"/api/campaigns/{campaign_id}/spend",
        content=text.encode(),
        params=params,
        headers=who.headers | {"Content-Type": "text/csv"},
    )


def _stored(database_url: str) -> list[tuple[date, str, str, int, int]]:
    with unit_of_work(database_url) as session:
        return [
            (row.day, row.channel, row.creative, row.impressions, row.spend)
            for row in session.scalars(select(SpendRow).order_by(SpendRow.day, SpendRow.channel))
        ]


def test_our_csv_in_minor_units(
    client: TestClient, campaign_setup: tuple[Account, int], database_url: str
) -> None:
    merchant, campaign_id = campaign_setup
    text = (
        "date,channel,impressions,spend\n"
        "2026-12-01,douyin,12000,35000\n2026-12-01,wechat,800,1200\n"
    )
    response = _post_csv(client, merchant, campaign_id, text)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "rows": 2,
        "impressions": 12_800,
        "spend": 36_200,
        "source_format": "liveshop",
    }
    again = _post_csv(client, merchant, campaign_id, text.replace("35000", "36000"))
    assert again.status_code == 201
    assert _stored(database_url) == [
        (date(2026, 12, 1), "douyin", "", 12_000, 36_000),  # replaced, not added
        (date(2026, 12, 1), "wechat", "", 800, 1_200),
    ]


def test_platform_exports_in_major_units_become_exact_minor_units(
    client: TestClient, campaign_setup: tuple[Account, int], database_url: str
) -> None:
    merchant, campaign_id = campaign_setup
    facebook = (
        "Reporting starts,Reporting ends,Ad name,Impressions,Amount spent (CNY)\n"
        '2026-12-02,2026-12-02,Reel A,"10,500","1,234.56"\n'
    )
    google = (
        'Campaign performance report\n"December 1, 2026 - December 31, 2026"\n'
        "Day,Campaign,Impr.,Clicks,Cost\n2026-12-03,Brand,4200,77,0.1\n"
        "Total: Account,,4200,77,0.1\n"
    )
    douyin = "日期,计划名称,展示数,点击数,消耗\n2026/12/04,预热,9900,300,88.8\n"
    facebook_daily = (
        "Reporting starts,Reporting ends,Day,Ad name,Impressions,Amount spent (CNY)\n"
        "2026-12-01,2026-12-31,2026-12-06,Reel B,300,2.5\n"
    )
    tiktok = "Date,Ad name,Cost,Impressions,Clicks\n2026-12-05,Try-on,12.34,5000,90\n"
    exports = (
        (facebook, "facebook"),
        (google, "google"),
        (douyin, "douyin"),
        (facebook_daily, "facebook"),
        (tiktok, "tiktok"),
    )
    for text, channel in exports:
        response = _post_csv(client, merchant, campaign_id, text)
        assert response.status_code == 201, response.text
        assert response.json()["source_format"] == channel
    assert _stored(database_url) == [
        (date(2026, 12, 2), "facebook", "Reel A", 10_500, 123_456),
        (date(2026, 12, 3), "google", "", 4_200, 10),
        (date(2026, 12, 4), "douyin", "", 9_900, 8_880),
        (date(2026, 12, 5), "tiktok", "Try-on", 5_000, 1_234),
        (date(2026, 12, 6), "facebook", "Reel B", 300, 250),
    ]


def test_gb18030_exports_and_a_channel_given_in_the_query(
    client: TestClient, campaign_setup: tuple[Account, int], database_url: str
) -> None:
    merchant, campaign_id = campaign_setup
    text = "日期,展示数,消耗\n2026-12-05,100,1.5\n"
    response = client.post(
        f"/api/campaigns/{campaign_id}/spend",
        content=text.encode("gb18030"),
        params={"channel": "wechat"},
        headers=merchant.headers | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert _stored(database_url) == [(date(2026, 12, 5), "wechat", "", 100, 150)]


def test_bad_rows_are_named_and_nothing_is_written(
    client: TestClient, campaign_setup: tuple[Account, int], database_url: str
) -> None:
    merchant, campaign_id = campaign_setup
    text = (
        "date,channel,impressions,spend\n"
        "2026-12-01,douyin,100,500\n"
        "2026-13-01,douyin,100,500\n"
        "2026-12-02,douyin,lots,500\n"
        "2026-12-03,weibo,100,500\n"
    )
    response = _post_csv(client, merchant, campaign_id, text)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "row 3:" in detail
    assert "row 4:" in detail
    assert "row 2:" not in detail
    assert response.json()["code"] == "spend_rows_invalid"
    channel = _post_csv(
        client, merchant, campaign_id, "date,channel,impressions,spend\n2026-12-03,weibo,1,1\n"
    )
    assert (channel.status_code, "row 1: channel 'weibo'" in channel.json()["detail"]) == (
        422,
        True,
    )
    fractional = _post_csv(client, merchant, campaign_id, "日期,展示数,消耗\n2026-12-04,1,0.005\n")
    assert fractional.status_code == 422
    assert "row 2" in fractional.json()["detail"]
    unknown = _post_csv(client, merchant, campaign_id, "when,shows,money\n2026-12-04,1,1\n")
    assert unknown.json()["code"] == "spend_columns_unknown"
    assert _stored(database_url) == []


def test_json_rows_and_their_row_numbers(
    client: TestClient, campaign_setup: tuple[Account, int], database_url: str
) -> None:
    merchant, campaign_id = campaign_setup
    url = f"/api/campaigns/{campaign_id}/spend"
    good = {"rows": [{"date": "2026-12-01", "channel": "douyin", "impressions": 5, "spend": 7}]}
    bad = {
        "rows": [
            good["rows"][0],
            {"date": "2026-12-02", "channel": "douyin", "impressions": -1, "spend": 7},
        ]
    }

    refused = client.post(url, json=bad, headers=merchant.headers)
    assert refused.status_code == 422
    assert "row 2 impressions" in refused.json()["detail"]
    assert _stored(database_url) == []
    assert client.post(url, json=good, headers=merchant.headers).status_code == 201
    assert _stored(database_url) == [(date(2026, 12, 1), "douyin", "", 5, 7)]


def test_major_units_are_converted_exactly() -> None:
    assert parse_major_units("0.29") == 29  # float(0.29) * 100 is 28.999999999999996
    assert parse_major_units("1,000,000.10") == 100_000_010
    assert parse_major_units("¥ 12") == 1_200
    for bad in ("-1", "1.234", "abc", "NaN"):
        with pytest.raises(ValueError, match="amount"):
            parse_major_units(bad)
