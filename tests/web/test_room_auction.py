"""The room's auction card in Chromium: a viewer with a card sees the running auction,
its countdown and bid log, bids through the card, and leads (names masked)."""

from __future__ import annotations

import os

from playwright.sync_api import expect
from pydantic import SecretStr
from sqlalchemy import select

from liveshop.accounts.models import Role, User
from liveshop.auctions.models import AuctionBid
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn
from liveshop.core.db import unit_of_work
from liveshop.payments.methods import add_payment_method
from liveshop.payments.schemas import CardIn
from liveshop.payments.vault import MasterKey
from tests.web.conftest import LiveServer, PageOpener


def test_a_viewer_bids_through_the_room_card(server: LiveServer, new_page: PageOpener) -> None:
    merchant = server.create_user(server.unique("auction_merchant"), Role.MERCHANT)
    host = server.create_user(server.unique("auction_host"), Role.HOST)
    viewer = server.create_user(server.unique("wang"), Role.VIEWER)
    with unit_of_work(server.database_url) as session:
        owner = session.get_one(User, merchant.id)
        product = catalog.create_product(
            session, merchant=owner, body=ProductIn(title="翡翠手镯", price=99_900, stock=1)
        )
        sku_id = catalog.skus_of(session, product_id=product.id)[0].id
        invitation = staff.invite_staff(session, owner=owner, user_id=host.id)
        staff.accept_invitation(
            session, invitee=session.get_one(User, host.id), invitation_id=invitation.id
        )
        add_payment_method(
            session,
            user=session.get_one(User, viewer.id),
            body=CardIn(
                card_number=SecretStr("4242424242424242"),
                exp_month=12,
                exp_year=2035,
                cvc=SecretStr("123"),
                save_consent=True,
            ),
            master=MasterKey(os.urandom(32)),
        )
    room_id = server.create_room(host, title="拍卖专场", start=True)
    auction = server.api(
        host,
        "POST",
        "/api/auctions",
        {"room_id": room_id, "sku_id": sku_id, "starting_price": 10_000, "duration_seconds": 600},
        expect=201,
    )
    server.api(host, "POST", f"/api/auctions/{auction['id']}/start")

    page = new_page(viewer, f"/rooms/{room_id}")
    card = page.locator(".auction-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("翡翠手镯")
    expect(card).to_contain_text("暂无出价")
    expect(card.locator(".auction-clock")).to_contain_text("剩余")
    card.locator("input").fill("150")
    card.locator(".auction-bid-btn").click()
    expect(card).to_contain_text("领先 w**")
    expect(card.locator(".auction-log li").first).to_contain_text("w**")
    with unit_of_work(server.database_url) as session:
        bids = session.scalars(
            select(AuctionBid).where(AuctionBid.auction_id == auction["id"])
        ).all()
        assert [(bid.bidder_id, bid.max_amount) for bid in bids] == [(viewer.id, 15_000)]
    assert new_page.errors[page] == []
