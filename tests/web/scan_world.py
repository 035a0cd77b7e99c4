"""The page scan's world (tests/web/test_page_scan.py): a shop with activity in every
corner, so that each page is read filled, with the words that only appear beside data
(issue 18): a live room with chat, a question answered, likes, an announcement, a flash
sale, an auction with bids, a lucky draw, a red packet and a gift; orders paid, one
delivered by its carrier's scans, reviewed (the shop replied) and a refund asked for,
one with its parcel on the way, one to ship, one held for a risk analyst; notifications;
a report, a warning appealed, a held chat line; a passed inspection; the shop's FAQ, a
campaign with a link and its spend, a coupon in the viewer's wallet.

Everything goes through the server's API (its listeners hear the events: notifications,
the hub, the ledger), as each role would do it. What people typed is English, so that
Chinese on an English page is the site's own, and English on a Chinese page is what people
typed, which its element says with lang="en" (core.languages.written_language)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from liveshop.accounts import passkeys
from liveshop.accounts.models import Role, User
from liveshop.accounts.webauthn_challenges import RelyingParty
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.core.settings import Settings
from liveshop.live.held_comments import store_held_comments
from liveshop.live.models import CommentKind, HeldCommentStatus
from liveshop.notifications.centre import unsubscribe_token
from liveshop.notifications.models import NotificationKind
from liveshop.orders.models import OrderItem
from liveshop.tracking.carriers import sign_push
from liveshop.tracking.config import webhook_secret
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.web import scan_openings as opening
from tests.web.test_console_language_pages import (
    _campaign,
    _experiment,
    _paid_order,
    _wallet_path,
)
from tests.web.visits import Visit

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer

# An order above 100 元 waits for a risk analyst: the review queue, the merchant's holds and
# the buyer's orders have one.
HELD_ABOVE = 10_000


@dataclass
class World:
    host: User
    merchant: User
    viewer: User
    moderator: User
    analyst: User
    regulator: User
    product_id: int
    sku_id: int
    room_id: int
    ended_room_id: int
    order_id: int
    delivered_order_id: int
    coupon_id: int
    campaign_id: int
    experiment_id: int
    wallet_path: str
    unsubscribe_path: str

    def visits(self) -> dict[str, Visit]:
        """A visit for every HTML route, by the route's path."""
        room, ended, order = self.room_id, self.ended_room_id, self.order_id
        return {
            "/": Visit(self.viewer, "/"),
            "/login": Visit(None, "/login", openings=opening.LOGIN),
            "/register": Visit(None, "/register"),
            "/forgot-password": Visit(None, "/forgot-password", openings=opening.FORGOT_PASSWORD),
            "/reset-password": Visit(
                None, f"/reset-password?token={'t' * 32}", openings=opening.RESET_PASSWORD
            ),
            "/search": Visit(self.viewer, "/search?q=linen", openings=opening.DISCLOSURES),
            "/products/{product_id}": Visit(
                self.viewer, f"/products/{self.product_id}", openings=opening.PRODUCT
            ),
            "/rooms/{room_id}": Visit(
                self.viewer, f"/rooms/{room}", opening.room_ready, opening.ROOM
            ),
            "/rooms/{room_id}/replay": Visit(self.viewer, f"/rooms/{ended}/replay"),
            "/rooms/{room_id}/highlights/{product_id}": Visit(
                self.viewer, f"/rooms/{ended}/highlights/{self.product_id}"
            ),
            "/coupons/{coupon_id}": Visit(self.viewer, f"/coupons/{self.coupon_id}"),
            "/cart": Visit(self.viewer, "/cart", openings=opening.cart_openings(self.sku_id)),
            "/orders": Visit(self.viewer, "/orders", openings=opening.ORDERS),
            "/orders/{order_id}": Visit(self.viewer, f"/orders/{self.delivered_order_id}"),
            "/orders/{order_id}/tracking": Visit(self.viewer, f"/orders/{order}/tracking"),
            "/notifications": Visit(self.viewer, "/notifications"),
            "/notifications/unsubscribe": Visit(
                self.viewer, self.unsubscribe_path, openings=opening.UNSUBSCRIBE
            ),
            "/wallet": Visit(self.viewer, "/wallet", openings=opening.WALLET),
            "/sandbox/wallet/{reference}": Visit(self.viewer, self.wallet_path),
            "/account/security": Visit(self.viewer, "/account/security", openings=opening.SECURITY),
            "/account/privacy": Visit(self.viewer, "/account/privacy", openings=opening.PRIVACY),
            "/host/rooms/{room_id}": Visit(
                self.host, f"/host/rooms/{room}", opening.host_console_ready, opening.HOST_CONSOLE
            ),
            "/host/prelive": Visit(self.host, "/host/prelive"),
            "/host/assistant": Visit(self.host, f"/host/assistant?room={room}"),
            "/earnings": Visit(self.host, "/earnings"),
            "/merchant": Visit(self.merchant, "/merchant"),
            "/merchant/compliance": Visit(self.merchant, "/merchant/compliance"),
            "/merchant/faq": Visit(self.merchant, "/merchant/faq", openings=opening.FAQ),
            "/dashboard": Visit(self.merchant, "/dashboard", openings=opening.DISCLOSURES),
            "/dashboard/rooms/{room_id}": Visit(self.merchant, f"/dashboard/rooms/{room}"),
            "/campaigns": Visit(self.merchant, "/campaigns"),
            "/campaigns/{campaign_id}": Visit(self.merchant, f"/campaigns/{self.campaign_id}"),
            "/experiments/{experiment_id}": Visit(
                self.merchant, f"/experiments/{self.experiment_id}"
            ),
            "/risk/held": Visit(self.merchant, "/risk/held"),
            "/moderation": Visit(self.moderator, "/moderation", openings=opening.MODERATION),
            "/risk": Visit(self.analyst, "/risk", openings=opening.DISCLOSURES),
            "/regulator": Visit(self.regulator, "/regulator", opening.regulator_ready),
        }


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def _card(server: LiveServer, user: User) -> int:
    """The user's saved sandbox card, saved (with their consent) if they have none."""
    saved = server.api(user, "GET", "/api/payment-methods")
    if saved:
        return int(saved[0]["id"])
    card = {
        "card_number": "4242424242424242",
        "exp_month": 12,
        "exp_year": utcnow().year + 2,
        "cvc": "123",
        "save_consent": True,
    }
    return int(server.api(user, "POST", "/api/payment-methods", card, expect=201)["id"])


def _top_up(server: LiveServer, user: User, *, kind: str, amount: int) -> None:
    body: dict[str, Any]
    body = {
        "kind": kind,
        "amount": amount,
        "method": "card",
        "payment_method_id": _card(server, user),
    }
    server.api(user, "POST", "/api/top-ups", body, expect=201, headers=_key())


def _coupon(server: LiveServer, merchant: User, *, room_id: int | None = None) -> int:
    """A coupon of the shop's, dropped in the room when ``room_id`` is given."""
    body = {
        "room_id": room_id,
        "code": server.unique("SCAN"),
        "name": "Welcome coupon",
        "kind": "fixed",
        "amount": 1_000,
        "starts_at": _iso(-timedelta(minutes=1)),
        "ends_at": _iso(timedelta(days=7)),
        "total_quantity": 10,
    }
    return int(server.api(merchant, "POST", "/api/coupons", body, expect=201)["id"])


def _report(server: LiveServer, reporter: User, *, author: User, room_id: int) -> None:
    """A chat line reported: the moderation queue has a case with its evidence."""
    said = "Add me on WeChat for a better price"
    evidence = {
        "message": said,
        "author_id": author.id,
        "room_id": room_id,
        "at": utcnow().isoformat(),
        "context": [{"author_id": author.id, "text": said, "at": utcnow().isoformat()}],
    }
    report = {
        "target_type": "comment",
        "target_id": 987654,
        "reason": "off_platform_trading",
        "details": "Private deal",
        "evidence": evidence,
    }
    server.api(reporter, "POST", "/api/reports", report, expect=201)


def _warning_appealed(server: LiveServer, moderator: User, *, host: User, room_id: int) -> None:
    """A warning to the host, which the host appeals: the pre-live check, the moderation
    queue's appeals, the regulator's penalties and log show them."""
    action = {
        "kind": "warning",
        "rule": "Rule 3: no deals off the platform",
        "subject_type": "user",
        "subject_id": host.id,
        "room_id": room_id,
    }
    server.api(moderator, "POST", "/api/moderation/actions", action, expect=201)
    warning = server.api(host, "GET", "/api/penalties/warnings")[0]
    appeal = {"statement": "It was a joke"}
    server.api(host, "POST", f"/api/penalties/{warning['id']}/appeal", appeal, expect=201)


def _held_line(server: LiveServer, author: User, room_id: int) -> None:
    """A chat line the filter held for a moderator, as the hub writes it behind."""
    line = {
        "id": new_id(),
        "room_id": room_id,
        "user_id": author.id,
        "kind": CommentKind.COMMENT,
        "text": "Is this the lowest price",
        "categories": ["violence"],
        "status": HeldCommentStatus.HELD,
        "created_at": utcnow(),
    }
    with unit_of_work(server.database_url) as session:
        store_held_comments(session, held=[line])


def _inspection(server: LiveServer) -> None:
    """Every product sampled and the shop's passed: the regulator's inspections have one."""
    admin = server.create_user(server.unique("admin"), Role.ADMIN)
    sampled = server.api(admin, "POST", "/api/admin/inspections/sample", {"rate": "1"}, expect=201)
    result = {"result": "pass", "findings": "Label checked"}
    path = f"/api/admin/inspections/{sampled[0]['id']}/result"
    server.api(admin, "POST", path, result)


def _push_scans(server: LiveServer, carrier: str, number: str, statuses: list[str]) -> None:
    """The carrier's signed push of its scans, as a real carrier sends it."""
    started = utcnow() - timedelta(hours=len(statuses))
    events = [
        {
            "id": f"{number}-{step}",
            "tracking_number": number,
            "status": status,
            "location": "杭州 分拨中心",
            "occurred_at": (started + timedelta(hours=step)).isoformat(),
        }
        for step, status in enumerate(statuses)
    ]
    body = json.dumps({"events": events}).encode()
    secret = webhook_secret(Settings(home=server.home))
    signature = sign_push(secret, body, int(utcnow().timestamp()))
    response = httpx.post(
        f"{server.base_url}/api/carriers/{carrier}/webhook",
        content=body,
        headers={"X-Carrier-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def _placed(server: LiveServer, buyer: User, order: dict[str, Any]) -> int:
    placed = server.api(buyer, "POST", "/api/orders", order, expect=201, headers=_key())
    return int(placed["id"])


def _paid(server: LiveServer, buyer: User, *, sku_id: int, room_id: int) -> int:
    """An order of one unit in the room, paid with the buyer's saved card."""
    line = {"sku_id": sku_id, "quantity": 1}
    order_id = _placed(server, buyer, {"items": [line], "room_id": room_id})
    payment = {"order_id": order_id, "payment_method_id": _card(server, buyer)}
    server.api(buyer, "POST", "/api/payments", payment, expect=201, headers=_key())
    return order_id


def _ship(server: LiveServer, merchant: User, order_id: int, carrier: str, number: str) -> None:
    shipment = {"carrier": carrier, "tracking_number": number}
    server.api(merchant, "POST", f"/api/orders/{order_id}/shipment", shipment, expect=201)


def _delivered_and_reviewed(
    server: LiveServer, *, buyer: User, merchant: User, sku_id: int, room_id: int
) -> int:
    """An order delivered by its carrier's scans, reviewed by the buyer, the shop replying."""
    order_id = _paid(server, buyer, sku_id=sku_id, room_id=room_id)
    number = f"SF4000{order_id}"
    _ship(server, merchant, order_id, "sf", number)
    _push_scans(server, "sf", number, ["PICKUP", "TRANSIT", "DELIVERING", "SIGNED"])
    with unit_of_work(server.database_url) as session:
        item_id = session.scalars(select(OrderItem.id).where(OrderItem.order_id == order_id)).one()
    review = {"rating": 5, "text": "Soft and fits well"}
    written = server.api(buyer, "POST", f"/api/order-items/{item_id}/review", review, expect=201)
    reply = {"text": "Thank you for the kind words"}
    server.api(merchant, "PUT", f"/api/reviews/{written['id']}/reply", reply)
    return order_id


def _room_activity(
    server: LiveServer, *, host: User, viewer: User, fan: User, room_id: int, sku_id: int
) -> None:
    """The live room as people use it."""
    rooms = f"/api/rooms/{room_id}"
    server.api(viewer, "POST", f"{rooms}/chat", {"text": "Does it come in blue"}, expect=201)
    server.api(fan, "POST", f"{rooms}/chat", {"text": "Do you ship abroad"}, expect=201)
    server.api(viewer, "POST", f"{rooms}/likes", {"count": 3}, expect=202)
    asked = {"text": "Is it machine washable"}
    question = server.api(viewer, "POST", f"{rooms}/questions", asked, expect=201)
    answer = {"answer": "Yes, cold wash only"}
    server.api(host, "POST", f"{rooms}/questions/{question['id']}/answer", answer)
    notice = {"text": "Free shipping tonight"}
    server.api(host, "POST", f"{rooms}/announcements", notice, expect=201)
    sale = {
        "room_id": room_id,
        "sku_id": sku_id,
        "price": 2_900,
        "quantity": 10,
        "per_user_limit": 1,
        "starts_at": _iso(-timedelta(seconds=5)),
        "ends_at": _iso(timedelta(hours=1)),
    }
    flash = server.api(host, "POST", "/api/flash-sales", sale, expect=201)
    server.api(fan, "POST", f"/api/flash-sales/{flash['id']}/buy", expect=201, headers=_key())
    _auction(server, host=host, bidders=(viewer, fan), room_id=room_id, sku_id=sku_id)
    draw = {
        "room_id": room_id,
        "title": "Lucky bag: one shirt",
        "prize_sku_id": sku_id,
        "winners_count": 1,
        "tasks": {},
        "deadline": _iso(timedelta(hours=1)),
    }
    drawn = server.api(host, "POST", "/api/draws", draw, expect=201)
    server.api(viewer, "POST", f"/api/draws/{drawn['id']}/entries", expect=204)
    _top_up(server, host, kind="wallet", amount=5_000)
    packet = {"total": 500, "shares": 5, "greeting": "Good luck", "minutes": 60}
    made = server.api(host, "POST", f"{rooms}/red-packets", packet, expect=201, headers=_key())
    server.api(fan, "POST", f"/api/red-packets/{made['id']}/grab", expect=201)
    # and one more: the viewer grabs one in each language's run of the scan
    server.api(host, "POST", f"{rooms}/red-packets", packet, expect=201, headers=_key())
    _top_up(server, viewer, kind="coins", amount=1_000)
    server.api(viewer, "POST", f"{rooms}/gifts", {"gift": "rose"}, expect=201, headers=_key())


def _auction(
    server: LiveServer, *, host: User, bidders: tuple[User, User], room_id: int, sku_id: int
) -> None:
    """An auction on in the room: the viewer bid and was outbid by the fan (a notice)."""
    terms = {"room_id": room_id, "sku_id": sku_id, "starting_price": 5_000}
    terms |= {"duration_seconds": 3_600}
    auction = server.api(host, "POST", "/api/auctions", terms, expect=201)
    server.api(host, "POST", f"/api/auctions/{auction['id']}/start")
    for bidder, most in zip(bidders, (6_000, 8_000), strict=True):
        _card(server, bidder)  # a bid is a promise to pay
        path, bid = f"/api/auctions/{auction['id']}/bids", {"max_amount": most}
        server.api(bidder, "POST", path, bid, headers=_key())


def _shop_words(server: LiveServer, merchant: User, *, campaign_id: int, room_id: int) -> None:
    """The shop's FAQ, and a campaign's tracking link with a day's spend."""
    faq = {"entries": [{"question": "Do you ship abroad", "answer": "Not yet, only within China"}]}
    server.api(merchant, "PUT", "/api/shops/mine/faq", faq)
    link = {"target": f"room:{room_id}", "channel": "douyin", "creative": "Spring video"}
    server.api(merchant, "POST", f"/api/campaigns/{campaign_id}/links", link, expect=201)
    day = (utcnow() - timedelta(days=1)).date().isoformat()
    row = {"date": day, "channel": "douyin", "impressions": 12_000, "spend": 30_000}
    server.api(merchant, "POST", f"/api/campaigns/{campaign_id}/spend", {"rows": [row]}, expect=201)


def _viewers_own(server: LiveServer, viewer: User, *, host: User, room_id: int) -> None:
    """What the viewer chose: following the host, a reminder for the host's next room,
    consents, a share link."""
    server.api(viewer, "POST", f"/api/hosts/{host.id}/follow", expect=204)
    coming = server.create_room(host, title="Tomorrow's preview", start=False)
    server.api(viewer, "POST", f"/api/rooms/{coming}/reminder", expect=204)
    consent = {"purpose": "personalised_recommendations", "policy_version": "2026-11"}
    server.api(viewer, "POST", "/api/me/consents", consent, expect=201)
    server.api(viewer, "POST", "/api/share-links", {"target": f"room:{room_id}"}, expect=201)


def _passkey(server: LiveServer, user: User) -> None:
    """A passkey on the user's account (a software authenticator's): the payment's step-up
    offers it."""
    rp = RelyingParty(rp_id="127.0.0.1", origin=server.base_url)
    secret = Settings(home=server.home).resolved_secret_key()
    authenticator = SoftAuthenticator(origin=server.base_url)
    with unit_of_work(server.database_url) as session:
        owner = session.get_one(User, user.id)
        options = passkeys.registration_options(session, user=owner, rp=rp, secret_key=secret)
        passkeys.add_passkey(
            session,
            user=owner,
            credential=authenticator.register(options),
            name="Phone",
            trusted=False,
            device_id=None,
            rp=rp,
            secret_key=secret,
        )


def _two_colours_on_the_shelf(
    server: LiveServer, *, host: User, merchant: User, room_id: int
) -> None:
    """A product in two colours, one sold out, beside the pinned one in the room's bag: the
    bag offers a choice of SKU."""
    skus = [
        {"options": {"colour": "Blue"}, "price": 5_900, "stock": 5},
        {"options": {"colour": "Red"}, "price": 6_900, "stock": 0},
    ]
    scarf = server.create_product(merchant, title="Silk scarf", skus=skus)
    pinned = server.api(host, "GET", f"/api/rooms/{room_id}/shelf")
    shelf = {"product_ids": [*(product["id"] for product in pinned), scarf["id"]]}
    server.api(host, "PUT", f"/api/rooms/{room_id}/shelf", shelf)


def build_world(server: LiveServer) -> World:
    host, merchant, product, room_id = server.selling_room(
        title="Evening sale",
        product={"title": "Linen shirt", "price": 3_900, "stock": 50, "description": "Light."},
    )
    viewer = server.create_user(server.unique("viewer"), Role.VIEWER)
    fan = server.create_user(server.unique("fan"), Role.VIEWER)
    sku_id = product["skus"][0]["id"]
    _viewers_own(server, viewer, host=host, room_id=room_id)
    order_id = _paid_order(server, viewer, sku_id, room_id)
    _ship(server, merchant, order_id, "zto", f"ZT4000{order_id}")
    _push_scans(server, "zto", f"ZT4000{order_id}", ["PICKUP", "TRANSIT"])
    delivered = _delivered_and_reviewed(
        server, buyer=viewer, merchant=merchant, sku_id=sku_id, room_id=room_id
    )
    server.api(viewer, "POST", "/api/cart/items", {"sku_id": sku_id})
    _room_activity(server, host=host, viewer=viewer, fan=fan, room_id=room_id, sku_id=sku_id)
    _two_colours_on_the_shelf(server, host=host, merchant=merchant, room_id=room_id)
    _paid(server, fan, sku_id=sku_id, room_id=room_id)  # waiting for the shop to ship it
    ended_room_id = server.create_room(host, title="Last night's sale", start=True)
    server.api(host, "POST", f"/api/rooms/{ended_room_id}/end")
    held: dict[str, Any] = {"items": [{"sku_id": sku_id, "quantity": 3}]}  # 117 元
    server.api(viewer, "POST", "/api/orders", held, expect=201, headers=_key())
    refund = {"kind": "refund", "reason": "Wrong size"}
    server.api(viewer, "POST", f"/api/orders/{delivered}/after-sales", refund, expect=201)
    _report(server, viewer, author=host, room_id=room_id)
    moderator = server.create_user(server.unique("moderator"), Role.MODERATOR)
    _warning_appealed(server, moderator, host=host, room_id=room_id)
    _held_line(server, viewer, room_id)
    _inspection(server)
    coupon_id = _coupon(server, merchant)
    server.api(viewer, "POST", f"/api/coupons/{coupon_id}/grab", expect=201)  # in the wallet
    for _ in range(2):  # the room's perks: the viewer grabs one in each language's scan
        _coupon(server, merchant, room_id=room_id)
    _passkey(server, viewer)
    campaign_id = _campaign(server, merchant)
    _shop_words(server, merchant, campaign_id=campaign_id, room_id=room_id)
    address = {"recipient": "Li", "phone": "13900000000", "region": "Hangzhou", "line": "No. 1"}
    server.api(viewer, "POST", "/api/addresses", address | {"is_default": True}, expect=201)
    secret = Settings(home=server.home).resolved_secret_key()
    token = unsubscribe_token(secret, user_id=viewer.id, kind=NotificationKind.ORDER_SHIPPED)
    return World(
        host=host,
        merchant=merchant,
        viewer=viewer,
        moderator=moderator,
        analyst=server.create_user(server.unique("analyst"), Role.RISK_ANALYST),
        regulator=server.create_user(server.unique("regulator"), Role.REGULATOR),
        product_id=product["id"],
        sku_id=sku_id,
        room_id=room_id,
        ended_room_id=ended_room_id,
        order_id=order_id,
        delivered_order_id=delivered,
        coupon_id=coupon_id,
        campaign_id=campaign_id,
        experiment_id=_experiment(server, merchant),
        wallet_path=_wallet_path(server, viewer, sku_id),
        unsubscribe_path=f"/notifications/unsubscribe?token={token}",
    )
