"""THE table: every route that takes an id (in its path, or naming an object in its
body), who may act on the object, and what everyone else gets.

Keys are (METHOD, path template) as the app's OpenAPI schema spells them; routes the
schema leaves out (pages, the sandbox wallet, the WebSocket) are keyed the same way
from ``app.routes``. A route added with an id and no row here fails the walk.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from tests.access import subjects as s
from tests.access.rules import (
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    INVALID,
    LOGIN_PAGE,
    Access,
    BodyFactory,
    Subject,
    everyone_but_regulators,
    public,
)
from tests.access.world import (
    BUYER,
    IMPOSER,
    INVITEE,
    PENALISED,
    ROOM_HOST,
    SELLER,
    STAFF,
    Made,
    World,
)
from tests.accounts import access_subjects as account_subjects
from tests.auctions import access_subjects as auction_subjects
from tests.campaigns import access_subjects as cs
from tests.conftest import Account

RouteKey = tuple[str, str]

MODERATION = {Role.MODERATOR: ALLOWED, Role.ADMIN: ALLOWED}
ADMIN = {Role.ADMIN: ALLOWED}
RISK_ANALYSTS = {Role.RISK_ANALYST: ALLOWED, Role.ADMIN: ALLOWED}
# Reads of orders and after-sales: the platform (admins) and the regulator's audit.
AUDIT_READS = {Role.ADMIN: ALLOWED, Role.REGULATOR: ALLOWED}


def body(**fields: Any) -> BodyFactory:
    """A fixed body; a value that is a name in braces (``"{room_id}"``) is that fresh id."""

    def make(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
        return {
            name: made.ids[value[1:-1]] if isinstance(value, str) and value[:1] == "{" else value
            for name, value in fields.items()
        }

    return make


def _in_own_room(made: Made, caller: Account | None, world: World) -> int:
    """The caller's own room if they host one (host B: the shop-to-shop swap), else the
    fresh object's room."""
    room_id: int = world.own_room(caller) or made.ids["room_id"]
    return room_id


def _assistant_reply(world: World) -> Made:
    """Host A's live room with one answer of the shop's assistant in it."""
    from liveshop.assistant.models import AssistantReply

    room_id = world.fresh_room()
    with world.session() as session:
        reply = AssistantReply(
            room_id=room_id,
            comment_id=world.number(),
            text="几天发货",
            answered=True,
            fact="faq:1",
            answer="三天内",
            confidence=1.0,
        )
        session.add(reply)
        session.flush()
        reply_id = reply.id
    return Made(
        ids={"room_id": room_id, "reply_id": reply_id},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


ASSISTANT_REPLY = Subject("assistant reply", _assistant_reply)


def _flash_sale(made: Made, caller: Account | None, world: World) -> dict[str, Any]:
    now = utcnow()
    return {
        "room_id": _in_own_room(made, caller, world),
        "sku_id": made.ids["sku_id"],
        "price": 5_000,
        "quantity": 1,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


def _draw(made: Made, caller: Account | None, world: World) -> dict[str, Any]:
    return {
        "room_id": _in_own_room(made, caller, world),
        "title": "Lucky bag",
        "prize_sku_id": made.ids["sku_id"],
        "winners_count": 1,
        "deadline": (utcnow() + timedelta(hours=1)).isoformat(),
    }


def _coupon(made: Made, _caller: Account | None, world: World) -> dict[str, Any]:
    now = utcnow()
    return {
        "code": f"WALKC{world.number()}",
        "name": "5 off",
        "kind": "fixed",
        "amount": 500,
        "product_id": made.ids["product_id"],
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "total_quantity": 10,
    }


def _restriction(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    return {"user_id": made.ids["user_id"], "minutes": 5}


ROUTES: dict[RouteKey, Access] = {
    # --- catalog ---
    ("PATCH", "/api/products/{product_id}"): Access(
        s.PRODUCT, parties={SELLER: ALLOWED}, roles=ADMIN, body=body(description="Soft silk")
    ),
    ("GET", "/api/products/{product_id}"): Access(  # a held product: its shop and reviewers
        s.HELD_PRODUCT, parties={SELLER: ALLOWED}, roles=MODERATION, others=HIDDEN, anonymous=HIDDEN
    ),
    ("POST", "/api/products/{product_id}/approve"): Access(
        s.HELD_PRODUCT, parties={SELLER: FORBIDDEN}, roles=MODERATION
    ),
    ("POST", "/api/products/{product_id}/reject"): Access(
        s.HELD_PRODUCT,
        parties={SELLER: FORBIDDEN},
        roles=MODERATION,
        body=body(reason="Say which grade"),
    ),
    ("GET", "/api/shops/{shop_id}/products"): public(s.SHOP, parties=(SELLER,)),
    ("POST", "/api/shops/{shop_id}/follow"): everyone_but_regulators(s.SHOP, parties=(SELLER,)),
    ("POST", "/api/shops/mine/staff-invitations"): Access(  # a shop's owner invites
        s.CANDIDATE,
        parties={SELLER: ALLOWED},
        roles={Role.MERCHANT: ALLOWED},  # merchant B owns shop B: they may ask too
        body=body(user_id="{user_id}"),
    ),
    ("DELETE", "/api/shops/mine/staff-invitations/{invitation_id}"): Access(
        s.INVITATION, parties={SELLER: ALLOWED, INVITEE: FORBIDDEN}, roles={Role.MERCHANT: HIDDEN}
    ),
    ("POST", "/api/staff-invitations/{invitation_id}/accept"): Access(
        s.INVITATION, parties={SELLER: HIDDEN, INVITEE: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/staff-invitations/{invitation_id}/decline"): Access(
        s.INVITATION, parties={SELLER: HIDDEN, INVITEE: ALLOWED}, others=HIDDEN
    ),
    ("DELETE", "/api/shops/mine/staff/{user_id}"): Access(  # the owner removes, staff leave
        s.STAFF_MEMBER, parties={SELLER: ALLOWED, STAFF: ALLOWED}, roles={Role.MERCHANT: HIDDEN}
    ),
    # --- orders ---
    ("POST", "/api/orders"): Access(  # with buyer A's address: judged first
        s.ADDRESS,
        parties={BUYER: ALLOWED},
        others=HIDDEN,
        body=lambda made, _caller, _world: {
            "items": [{"sku_id": made.ids["sku_id"], "quantity": 1}],
            "address_id": made.ids["address_id"],
        },
    ),
    ("GET", "/api/orders/{order_id}"): Access(
        s.PENDING_ORDER,
        parties={BUYER: ALLOWED, SELLER: ALLOWED},
        roles=AUDIT_READS,
        others=HIDDEN,
    ),
    ("POST", "/api/orders/{order_id}/cancel"): Access(
        s.PENDING_ORDER,
        parties={BUYER: ALLOWED, SELLER: ALLOWED},
        roles={Role.ADMIN: ALLOWED, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(reason="changed my mind"),
    ),
    ("POST", "/api/orders/{order_id}/ship"): Access(
        s.PAID_ORDER,
        parties={BUYER: FORBIDDEN, SELLER: ALLOWED},
        roles={Role.ADMIN: ALLOWED, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(tracking_number="SF0000001"),
    ),
    ("POST", "/api/orders/{order_id}/confirm-delivery"): Access(
        s.SHIPPED_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: ALLOWED, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
    ),
    ("POST", "/api/orders/{order_id}/complete"): Access(
        s.DELIVERED_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: ALLOWED, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
    ),
    ("POST", "/api/orders/{order_id}/after-sales"): Access(
        s.DELIVERED_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(kind="refund", reason="broken"),
    ),
    ("POST", "/api/orders/{order_id}/claim-prize"): Access(
        s.PRIZE_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
    ),
    ("GET", "/api/after-sales/{after_sale_id}"): Access(
        s.REQUESTED_AFTER_SALE,
        parties={BUYER: ALLOWED, SELLER: ALLOWED},
        roles={**AUDIT_READS, Role.MODERATOR: ALLOWED},
        others=HIDDEN,
    ),
    ("POST", "/api/after-sales/{after_sale_id}/decision"): Access(
        s.REQUESTED_AFTER_SALE,
        parties={BUYER: FORBIDDEN, SELLER: ALLOWED},
        roles=ADMIN,
        body=body(approve=True),
    ),
    ("POST", "/api/after-sales/{after_sale_id}/return-shipment"): Access(
        s.AWAITING_RETURN,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.MODERATOR: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(tracking_number="SF0000002"),
    ),
    ("POST", "/api/after-sales/{after_sale_id}/return-received"): Access(
        s.RETURN_SHIPPED,
        parties={BUYER: FORBIDDEN, SELLER: ALLOWED},
        roles=ADMIN,
    ),
    ("POST", "/api/after-sales/{after_sale_id}/escalate"): Access(
        s.REJECTED_AFTER_SALE,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.MODERATOR: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
    ),
    ("POST", "/api/after-sales/{after_sale_id}/resolution"): Access(
        s.DISPUTED_AFTER_SALE,
        parties={BUYER: FORBIDDEN, SELLER: FORBIDDEN},
        roles=MODERATION,
        body=body(refund=False, reason="as described"),
    ),
    ("POST", "/api/rooms/{room_id}/buy-now"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(quantity=1)
    ),
    ("GET", "/api/rooms/{room_id}/orders"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=AUDIT_READS
    ),
    ("GET", "/api/rooms/{room_id}/order-pages"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=AUDIT_READS
    ),
    # --- the cart: a SKU in the caller's own cart
    ("POST", "/api/cart/items"): everyone_but_regulators(
        s.SKU, parties=(ROOM_HOST, SELLER), body=body(sku_id="{sku_id}", quantity=1)
    ),
    ("PUT", "/api/cart/items/{sku_id}"): everyone_but_regulators(
        s.SKU, parties=(ROOM_HOST, SELLER), body=body(quantity=1)
    ),
    ("DELETE", "/api/cart/items/{sku_id}"): Access(
        s.SKU, parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED}, others=ALLOWED
    ),
    ("POST", "/api/cart/checkout"): Access(  # the caller's cart, to buyer A's address
        s.ADDRESS,
        parties={BUYER: ALLOWED},
        others=HIDDEN,
        body=lambda made, _caller, _world: {"address_id": made.ids["address_id"]},
    ),
    # --- lucky draws ---
    ("POST", "/api/draws"): Access(  # a prize of shop A's SKU, in the caller's own room
        s.SKU,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles={**ADMIN, Role.HOST: FORBIDDEN},
        body=_draw,
    ),
    ("GET", "/api/draws/{draw_id}"): public(s.OPEN_DRAW, parties=(ROOM_HOST,)),
    ("GET", "/api/draws/{draw_id}/verification"): public(s.DRAWN_DRAW, parties=(ROOM_HOST,)),
    ("POST", "/api/draws/{draw_id}/entries"): everyone_but_regulators(
        s.OPEN_DRAW, parties=(ROOM_HOST,)
    ),
    ("POST", "/api/draws/{draw_id}/draw"): Access(
        s.DUE_DRAW, parties={ROOM_HOST: ALLOWED}, roles=ADMIN
    ),
    ("GET", "/api/rooms/{room_id}/draws"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    # --- promotions ---
    ("POST", "/api/flash-sales"): Access(  # shop A's SKU, in the caller's own room
        s.SKU,
        parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED},
        roles={**ADMIN, Role.HOST: FORBIDDEN},
        body=_flash_sale,
    ),
    ("POST", "/api/flash-sales/{sale_id}/buy"): everyone_but_regulators(
        s.FLASH_SALE, parties=(ROOM_HOST, SELLER), body=body(quantity=1)
    ),
    ("GET", "/api/flash-sales/{sale_id}"): public(s.FLASH_SALE, parties=(ROOM_HOST, SELLER)),
    ("GET", "/api/flash-sales/{sale_id}/admissions"): public(  # buyers' names masked
        s.FLASH_SALE, parties=(ROOM_HOST, SELLER)
    ),
    ("GET", "/api/rooms/{room_id}/flash-sales"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    # --- auctions: shop A's SKU in host A's room; no bids by the auction's own people
    ("POST", "/api/auctions"): Access(  # in the caller's own room (host B: not its goods)
        s.SKU,
        parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED},
        roles={**ADMIN, Role.HOST: FORBIDDEN},
        body=auction_subjects.auction_body,
    ),
    ("POST", "/api/auctions/{auction_id}/start"): Access(
        auction_subjects.DRAFT_AUCTION, parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED}, roles=ADMIN
    ),
    ("POST", "/api/auctions/{auction_id}/bids"): Access(  # every stranger has a card here
        auction_subjects.RUNNING_AUCTION,
        parties={ROOM_HOST: FORBIDDEN, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=ALLOWED,
        body=body(max_amount=50_000),
    ),
    ("GET", "/api/auctions/{auction_id}"): public(
        auction_subjects.RUNNING_AUCTION, parties=(ROOM_HOST, SELLER)
    ),
    ("GET", "/api/rooms/{room_id}/auctions"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("POST", "/api/coupons"): Access(  # a coupon on shop A's product
        s.PRODUCT, parties={SELLER: ALLOWED}, roles={Role.MERCHANT: INVALID}, body=_coupon
    ),
    # campaigns: shop A's people and admins; anyone else is told it does not exist
    ("GET", "/api/campaigns/{campaign_id}"): Access(
        cs.CAMPAIGN, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("POST", "/api/campaigns/{campaign_id}/links"): Access(
        cs.CAMPAIGN,
        parties={SELLER: ALLOWED},
        roles=ADMIN,
        others=HIDDEN,
        body=cs.link_body,
    ),
    ("GET", "/api/campaigns/{campaign_id}/links"): Access(
        cs.CAMPAIGN, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("POST", "/api/campaigns/{campaign_id}/spend"): Access(
        cs.CAMPAIGN,
        parties={SELLER: ALLOWED},
        roles=ADMIN,
        others=HIDDEN,
        body=body(rows=[{"date": "2026-12-01", "channel": "douyin", "impressions": 1, "spend": 1}]),
    ),
    ("GET", "/api/campaigns/{campaign_id}/metrics"): Access(
        cs.CAMPAIGN, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("GET", "/api/links/{code}/qr.svg"): public(cs.CAMPAIGN, parties=(SELLER,)),
    ("GET", "/api/links/{code}/qr.png"): public(cs.CAMPAIGN, parties=(SELLER,)),
    ("PUT", "/api/links/{code}/experiment"): Access(  # the campaign's managers
        cs.LINK_TO_TEST, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN, body=cs.landing_body
    ),
    ("GET", "/api/links/{code}/experiment"): Access(
        cs.TESTED_LINK, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("DELETE", "/api/links/{code}/experiment"): Access(
        cs.TESTED_LINK, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("GET", "/l/{code}"): Access(
        cs.CAMPAIGN, parties={SELLER: cs.FOLLOWED}, others=cs.FOLLOWED, anonymous=cs.FOLLOWED
    ),
    ("GET", "/api/experiments/{experiment_id}/assignment"): everyone_but_regulators(
        cs.EXPERIMENT, parties=(SELLER,)
    ),
    ("GET", "/api/experiments/{experiment_id}/results"): Access(
        cs.EXPERIMENT, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("GET", "/api/audiences/pushes/{push_id}/lift"): Access(
        cs.PUSH, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN
    ),
    ("GET", "/campaigns/{campaign_id}"): Access(
        cs.CAMPAIGN, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN, anonymous=LOGIN_PAGE
    ),
    ("GET", "/experiments/{experiment_id}"): Access(
        cs.EXPERIMENT, parties={SELLER: ALLOWED}, roles=ADMIN, others=HIDDEN, anonymous=LOGIN_PAGE
    ),
    ("GET", "/api/coupons/{coupon_id}"): public(s.COUPON, parties=(SELLER,)),
    ("POST", "/api/coupons/{coupon_id}/grab"): everyone_but_regulators(s.COUPON, parties=(SELLER,)),
    ("GET", "/api/coupons/{coupon_id}/offer"): everyone_but_regulators(s.COUPON, parties=(SELLER,)),
    ("POST", "/api/coupons/{coupon_id}/experiment"): Access(  # the shop's merchant only
        cs.TESTED_COUPON, parties={SELLER: ALLOWED}, body=cs.coupon_experiment_body
    ),
    ("PUT", "/api/coupons/{coupon_id}/experiment"): Access(  # attach or change: the merchant
        cs.TESTED_COUPON, parties={SELLER: ALLOWED}, body=cs.coupon_experiment_body
    ),
    ("GET", "/api/coupons/{coupon_id}/experiment"): Access(
        cs.ATTACHED_COUPON, parties={SELLER: ALLOWED}
    ),
    ("DELETE", "/api/coupons/{coupon_id}/experiment"): Access(
        cs.ATTACHED_COUPON, parties={SELLER: ALLOWED}
    ),
    ("PUT", "/api/coupons/{coupon_id}/countdown-experiment"): Access(  # the merchant
        cs.TESTED_COUPON, parties={SELLER: ALLOWED}, body=cs.countdown_body
    ),
    ("GET", "/api/coupons/{coupon_id}/countdown-experiment"): Access(
        cs.COUNTDOWN_COUPON, parties={SELLER: ALLOWED}
    ),
    ("DELETE", "/api/coupons/{coupon_id}/countdown-experiment"): Access(
        cs.COUNTDOWN_COUPON, parties={SELLER: ALLOWED}
    ),
    ("GET", "/api/rooms/{room_id}/coupons"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    # --- payments ---
    ("DELETE", "/api/payment-methods/{method_id}"): Access(
        s.CARD, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/payment-methods/{method_id}/default"): Access(
        s.CARD, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/top-ups"): Access(  # with buyer A's card
        s.CARD,
        parties={BUYER: ALLOWED},
        others=HIDDEN,
        body=body(kind="wallet", amount=1_000, method="card", payment_method_id="{method_id}"),
    ),
    ("POST", "/api/payments"): Access(  # buyer A's order
        s.PENDING_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(order_id="{order_id}", method="wallet"),
    ),
    ("GET", "/api/payments/{payment_id}"): Access(
        s.PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/payments/{payment_id}/challenge"): Access(
        s.PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN, body=body(code="000000")
    ),
    ("POST", "/api/payments/{payment_id}/passkey-options"): Access(  # 409: no passkey
        s.PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/payments/{payment_id}/passkey"): Access(  # 409: no passkey challenge
        s.PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN, body=body(credential={})
    ),
    ("PATCH", "/api/me/passkeys/{passkey_id}"): Access(
        account_subjects.PASSKEY, parties={BUYER: ALLOWED}, others=HIDDEN, body=body(trusted=False)
    ),
    ("DELETE", "/api/me/passkeys/{passkey_id}"): Access(
        account_subjects.PASSKEY, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    ("POST", "/api/sandbox/wallet/{reference}"): Access(
        s.WALLET_PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN, body=body(approve=False)
    ),
    ("GET", "/sandbox/wallet/{reference}"): Access(
        s.WALLET_PAYMENT, parties={BUYER: ALLOWED}, others=HIDDEN, anonymous=LOGIN_PAGE
    ),
    ("POST", "/api/rooms/{room_id}/buy-now/pay"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(quantity=1)
    ),
    ("POST", "/api/rooms/{room_id}/gifts"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(gift="heart", count=1)
    ),
    ("POST", "/api/rooms/{room_id}/red-packets"): Access(  # its host, or a merchant on its shelf
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED}, body=body(total=100, shares=2)
    ),
    ("GET", "/api/rooms/{room_id}/red-packets"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/api/red-packets/{packet_id}"): public(s.RED_PACKET, parties=(ROOM_HOST,)),
    ("POST", "/api/red-packets/{packet_id}/grab"): everyone_but_regulators(
        s.RED_PACKET, parties=(ROOM_HOST,)
    ),
    # --- privacy: the caller's own ---
    ("DELETE", "/api/me/consents/{purpose}"): Access(s.CONSENT, others=ALLOWED),
    # --- moderation and governance ---
    ("POST", "/api/reports"): everyone_but_regulators(
        s.USER, body=body(target_type="user", target_id="{user_id}", reason="spam")
    ),
    ("POST", "/api/moderation/actions"): Access(
        s.USER,
        roles=MODERATION,
        body=body(kind="warning", rule="walk", target_type="user", target_id="{user_id}", points=0),
    ),
    ("POST", "/api/moderation/reports/{report_id}/claim"): Access(
        s.OPEN_REPORT, parties={BUYER: FORBIDDEN}, roles=MODERATION
    ),
    ("POST", "/api/moderation/reports/{report_id}/decision"): Access(
        s.CLAIMED_REPORT,
        parties={BUYER: FORBIDDEN, IMPOSER: ALLOWED},
        roles=MODERATION,
        body=body(resolution="not spam"),
    ),
    ("POST", "/api/moderation/appeals/{appeal_id}/decision"): Access(
        s.APPEAL,
        parties={PENALISED: FORBIDDEN, IMPOSER: FORBIDDEN},  # another moderator decides
        roles=MODERATION,
        body=body(overturn=False, note="upheld"),
    ),
    ("POST", "/api/moderation/held-comments/{comment_id}/approve"): Access(
        s.HELD_COMMENT,
        parties={BUYER: FORBIDDEN},
        roles=MODERATION,  # not the author
    ),
    ("GET", "/api/risk/cases/{case_id}"): Access(
        s.RISK_CASE, parties={BUYER: FORBIDDEN, SELLER: FORBIDDEN}, roles=RISK_ANALYSTS
    ),
    ("POST", "/api/risk/cases/{case_id}/label"): Access(
        s.RISK_CASE,
        parties={BUYER: FORBIDDEN, SELLER: FORBIDDEN},  # not their own case's label
        roles=RISK_ANALYSTS,
        body=body(label="legit"),
    ),
    ("POST", "/api/risk/cases/{case_id}/appeal"): Access(
        s.RISK_CASE,
        parties={BUYER: ALLOWED, SELLER: ALLOWED},
        others=HIDDEN,
        body=body(text="I bought it myself"),
    ),
    ("POST", "/api/moderation/held-comments/{comment_id}/reject"): Access(
        s.HELD_COMMENT, parties={BUYER: FORBIDDEN}, roles=MODERATION
    ),
    ("GET", "/api/penalties/{penalty_id}"): Access(
        s.PENALTY, parties={PENALISED: ALLOWED, IMPOSER: ALLOWED}, roles=MODERATION, others=HIDDEN
    ),
    ("POST", "/api/penalties/{penalty_id}/appeal"): Access(
        s.PENALTY,
        parties={PENALISED: ALLOWED, IMPOSER: FORBIDDEN},
        body=body(statement="I did not"),
    ),
    ("POST", "/api/qualifications"): Access(  # a certificate for shop A's product
        s.PRODUCT,
        parties={SELLER: ALLOWED},
        body=lambda made, _caller, _world: {
            "kind": "product_certificate",
            "product_id": made.ids["product_id"],
            "documents": [{"name": "test report", "url": "https://example.com/r"}],
        },
    ),
    ("POST", "/api/admin/qualifications/{qualification_id}/decision"): Access(
        s.QUALIFICATION, parties={SELLER: FORBIDDEN}, roles=ADMIN, body=body(approve=True)
    ),
    ("POST", "/api/admin/inspections/{inspection_id}/result"): Access(
        s.INSPECTION, roles=ADMIN, body=body(result="pass")
    ),
    # --- live rooms ---
    ("GET", "/api/rooms/{room_id}"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("POST", "/api/rooms/{room_id}/start"): Access(
        s.SCHEDULED_ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("POST", "/api/rooms/{room_id}/end"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("PUT", "/api/rooms/{room_id}/pinned"): Access(
        s.ROOM,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles=ADMIN,
        body=body(product_id="{product_id}"),
    ),
    ("DELETE", "/api/rooms/{room_id}/pinned"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("POST", "/api/rooms/{room_id}/announcements"): Access(
        s.ROOM,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles=ADMIN,
        body=body(text="Sale at eight"),
    ),
    ("POST", "/api/rooms/{room_id}/mutes"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=MODERATION, body=_restriction
    ),
    ("POST", "/api/rooms/{room_id}/kicks"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=MODERATION, body=_restriction
    ),
    ("GET", "/api/rooms/{room_id}/comments"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/api/rooms/{room_id}/questions"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("POST", "/api/rooms/{room_id}/questions"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(text="Is it silk?")
    ),
    ("POST", "/api/rooms/{room_id}/questions/{question_id}/upvote"): everyone_but_regulators(
        s.QUESTION, parties=(ROOM_HOST, BUYER)
    ),
    ("POST", "/api/rooms/{room_id}/questions/{question_id}/answer"): Access(
        s.QUESTION,
        parties={ROOM_HOST: ALLOWED, BUYER: FORBIDDEN},
        roles=ADMIN,
        body=body(answer="Yes, all silk"),
    ),
    ("GET", "/api/rooms/{room_id}/assistant"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=MODERATION
    ),
    ("PUT", "/api/rooms/{room_id}/assistant"): Access(
        s.ROOM,
        parties={ROOM_HOST: FORBIDDEN, SELLER: FORBIDDEN},
        roles=MODERATION,
        body=body(enabled=True),
    ),
    ("POST", "/api/rooms/{room_id}/assistant/corrections"): Access(
        ASSISTANT_REPLY,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles=ADMIN,
        body=body(reply_id="{reply_id}", answer="今天下单明天发"),
    ),
    ("PUT", "/api/rooms/{room_id}/questions/{question_id}/pinned"): Access(
        s.QUESTION, parties={ROOM_HOST: ALLOWED, BUYER: FORBIDDEN}, roles=ADMIN
    ),
    ("DELETE", "/api/rooms/{room_id}/questions/{question_id}/pinned"): Access(
        s.QUESTION, parties={ROOM_HOST: ALLOWED, BUYER: FORBIDDEN}, roles=ADMIN
    ),
    ("PUT", "/api/rooms/{room_id}/shelf"): Access(
        s.ROOM,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles=ADMIN,
        body=lambda made, _caller, _world: {"product_ids": [made.ids["product_id"]]},
    ),
    ("GET", "/api/rooms/{room_id}/shelf"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("POST", "/api/rooms/{room_id}/shelf-experiment"): Access(  # the host, for their shop
        cs.TESTED_ROOM,
        parties={ROOM_HOST: ALLOWED},
        roles={Role.ADMIN: HIDDEN},  # runs any room, acts for no shop: no such experiment
        body=cs.shelf_experiment_body,
    ),
    ("PUT", "/api/rooms/{room_id}/shelf-experiment"): Access(  # attach or change: the host
        cs.TESTED_ROOM,
        parties={ROOM_HOST: ALLOWED},
        roles={Role.ADMIN: HIDDEN},  # runs any room, acts for no shop: no such experiment
        body=cs.shelf_experiment_body,
    ),
    ("GET", "/api/rooms/{room_id}/shelf-experiment"): Access(  # those who run the room
        cs.ATTACHED_ROOM, parties={ROOM_HOST: ALLOWED}, roles=ADMIN
    ),
    ("DELETE", "/api/rooms/{room_id}/shelf-experiment"): Access(
        cs.ATTACHED_ROOM, parties={ROOM_HOST: ALLOWED}, roles=ADMIN
    ),
    ("GET", "/api/rooms/{room_id}/stream"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("POST", "/api/rooms/{room_id}/chat"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(text="Hello")
    ),
    ("POST", "/api/rooms/{room_id}/likes"): everyone_but_regulators(
        s.ROOM, parties=(ROOM_HOST, SELLER), body=body(count=3)
    ),
    ("WEBSOCKET", "/ws/rooms/{room_id}"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    # --- live video (the media server's callbacks take no id: a shared secret instead) ---
    ("POST", "/api/rooms/{room_id}/stream-key"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("WEBSOCKET", "/ws/rooms/{room_id}/broadcast"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("POST", "/api/rooms/{room_id}/go-live"): Access(
        s.SCHEDULED_ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("GET", "/api/rooms/{room_id}/stream-health"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN}, roles=ADMIN
    ),
    ("GET", "/api/rooms/{room_id}/replay"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/api/rooms/{room_id}/highlights"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/rooms/{room_id}/replay"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/rooms/{room_id}/highlights/{product_id}"): public(
        s.ROOM, parties=(ROOM_HOST, SELLER)
    ),
    # --- reviews ---
    ("GET", "/api/products/{product_id}/reviews"): public(s.PRODUCT, parties=(SELLER,)),
    ("POST", "/api/order-items/{item_id}/review"): Access(  # its buyer; to others it is absent
        s.DELIVERED_LINE,
        parties={BUYER: ALLOWED, SELLER: HIDDEN},
        others=HIDDEN,
        body=body(rating=5, text="好"),
    ),
    ("PATCH", "/api/reviews/{review_id}"): Access(
        s.REVIEW, parties={BUYER: ALLOWED, SELLER: FORBIDDEN}, body=body(rating=4)
    ),
    ("PUT", "/api/reviews/{review_id}/reply"): Access(
        s.REVIEW, parties={SELLER: ALLOWED, BUYER: FORBIDDEN}, roles=ADMIN, body=body(text="谢谢")
    ),
    ("POST", "/api/reviews/{review_id}/helpful"): Access(  # not one's own, regulators read
        s.REVIEW,
        parties={BUYER: FORBIDDEN, SELLER: ALLOWED},
        roles={Role.REGULATOR: FORBIDDEN},
        others=ALLOWED,
    ),
    ("POST", "/api/reviews/{review_id}/approve"): Access(
        s.HELD_REVIEW, parties={BUYER: FORBIDDEN, SELLER: FORBIDDEN}, roles=MODERATION
    ),
    ("POST", "/api/reviews/{review_id}/reject"): Access(
        s.HELD_REVIEW, parties={BUYER: FORBIDDEN, SELLER: FORBIDDEN}, roles=MODERATION
    ),
    ("GET", "/products/{product_id}"): public(s.PRODUCT, parties=(SELLER,)),
    ("GET", "/coupons/{coupon_id}"): public(s.COUPON, parties=(SELLER,)),  # its landing page
    # --- follows and notifications ---
    ("POST", "/api/hosts/{host_id}/follow"): everyone_but_regulators(s.HOST, parties=(ROOM_HOST,)),
    ("DELETE", "/api/hosts/{host_id}/follow"): everyone_but_regulators(
        s.HOST, parties=(ROOM_HOST,)
    ),
    ("POST", "/api/rooms/{room_id}/reminder"): everyone_but_regulators(
        s.SCHEDULED_ROOM, parties=(ROOM_HOST, SELLER)
    ),
    ("DELETE", "/api/rooms/{room_id}/reminder"): everyone_but_regulators(
        s.SCHEDULED_ROOM, parties=(ROOM_HOST, SELLER)
    ),
    ("POST", "/api/notifications/{notification_id}/read"): Access(
        s.NOTIFICATION, parties={BUYER: ALLOWED}, others=HIDDEN
    ),
    # --- parcel tracking ---
    ("POST", "/api/orders/{order_id}/shipment"): Access(
        s.PAID_ORDER,
        parties={BUYER: FORBIDDEN, SELLER: ALLOWED},
        roles={Role.ADMIN: ALLOWED, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        body=body(carrier="sandbox", tracking_number="SB0000001"),
    ),
    ("GET", "/api/orders/{order_id}/tracking"): Access(
        s.TRACKED_ORDER, parties={BUYER: ALLOWED, SELLER: ALLOWED}, roles=AUDIT_READS, others=HIDDEN
    ),
    ("GET", "/orders/{order_id}"): Access(  # the order detail page is the buyer's own
        s.PENDING_ORDER,
        parties={BUYER: ALLOWED, SELLER: FORBIDDEN},
        roles={Role.ADMIN: FORBIDDEN, Role.REGULATOR: FORBIDDEN},
        others=HIDDEN,
        anonymous=LOGIN_PAGE,
    ),
    ("GET", "/orders/{order_id}/tracking"): Access(
        s.TRACKED_ORDER,
        parties={BUYER: ALLOWED, SELLER: ALLOWED},
        roles=AUDIT_READS,
        others=HIDDEN,
        anonymous=LOGIN_PAGE,
    ),
    ("POST", "/api/carriers/{carrier}/webhook"): Access(  # the signature is the proof
        s.CARRIER, others=FORBIDDEN, anonymous=FORBIDDEN
    ),
    # --- analytics and pages ---
    ("GET", "/api/analytics/rooms/{room_id}/report"): Access(  # host, a merchant on its shelf
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED}, roles=ADMIN
    ),
    ("GET", "/dashboard/rooms/{room_id}"): Access(
        s.ROOM, parties={ROOM_HOST: ALLOWED, SELLER: ALLOWED}, roles=ADMIN, anonymous=LOGIN_PAGE
    ),
    ("GET", "/rooms/{room_id}"): public(s.ROOM, parties=(ROOM_HOST, SELLER)),
    ("GET", "/host/rooms/{room_id}"): Access(
        s.ROOM,
        parties={ROOM_HOST: ALLOWED, SELLER: FORBIDDEN},
        roles=ADMIN,
        anonymous=LOGIN_PAGE,
    ),
}

# Behaviour events name rooms and products, but any page may send them (they are
# telemetry, not writes to those objects): no object of anyone's is acted on.
NOT_ACCESS_CONTROLLED = frozenset({("POST", "/api/events")})
