"""The world the access walk acts in, made with service functions (not HTTP).

Two of each owner: the A side owns the objects the walk acts on (buyer A's orders,
shop A's products, host A's rooms), the B side is the same kind of user with
objects of their own (buyer B, shop B, host B's room), so that a caller of role R
who is not the owner is the owner's peer: a buyer-to-buyer or shop-to-shop swap.
One user of each staff role completes the callers.

Every cell of the walk (a route, a caller) acts on fresh objects made here, so one
caller's success never changes the next caller's answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.core.settings import Settings
from liveshop.governance import appeals as enforcement_appeals
from liveshop.governance import penalties as enforcement
from liveshop.governance import reports as moderation_reports
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.models import (
    Inspection,
    InspectionResult,
    InspectionTarget,
    PenaltyKind,
    ReportTarget,
    SubjectType,
)
from liveshop.governance.qualifications import grants as qualifications
from liveshop.governance.qualifications.models import QualificationKind
from liveshop.live import service as live
from liveshop.live import shelf
from liveshop.live.held_comments import store_held_comments
from liveshop.live.models import CommentKind, HeldCommentStatus
from liveshop.orders import addresses, after_sales, draws
from liveshop.orders import service as orders
from liveshop.orders.models import LuckyDraw, Order
from liveshop.orders.schemas import AddressIn, AfterSaleIn, DrawIn, OrderIn, OrderItemIn
from liveshop.payments import charges, methods, red_packets, wallets
from liveshop.payments.context import payment_context
from liveshop.payments.models import MethodKind, TopUp, TopUpKind
from liveshop.payments.schemas import CardIn
from liveshop.payments.vault import MasterKey
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.models import CouponKind
from liveshop.promotions.schemas import CouponIn, FlashSaleIn
from tests.conftest import Account

UNUSABLE_PASSWORD_HASH = "!"  # the walk's users act through tokens; hashing costs a second each
PRICE = 10_000  # 分
STOCK = 1_000_000  # every cell may take a unit
FUNDS = 10**9  # 分 in the wallets of those who pay (buyer A, host A)
CARD = {"card_number": "4242424242424242", "exp_month": 12, "cvc": "123"}

# The parties an object can have (the A side); a caller is a party or a stranger of a role.
BUYER = "buyer"  # viewer A: bought the order, filed the report, asked the question
SELLER = "seller"  # merchant A: owns shop A
ROOM_HOST = "room_host"  # host A: hosts the room, sent the red packet; staff of shop A
PENALISED = "penalised"  # host A, as the subject of a penalty and its appellant
IMPOSER = "imposer"  # moderator A: imposed the penalty, claimed the report
INVITEE = "invitee"  # a host shop A invited to act for it
STAFF = "staff"  # a host who acts for shop A


@dataclass(frozen=True)
class Made:
    """Fresh objects for one cell: the ids a request names, and who the parties are."""

    ids: dict[str, Any]
    parties: dict[str, Account] = field(default_factory=dict)


# The walk asks who may act, not whether host A's credit score allows a flash sale:
# the disputed after-sales the walk makes in room A count against host A's score
# (tests/moderation/test_flash_sale_gate.py and test_scores.py cover the gate).
WALK_MODERATION = ModerationSettings(flash_sale_min_score=0)


class World:
    """Users, the shared objects, and factories of fresh objects (each committed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database_url = settings.resolved_database_url()
        self._numbers = itertools.count(1)
        self.buyer, self.buyer_b = self._user(Role.VIEWER, "a"), self._user(Role.VIEWER, "b")
        self.host, self.host_b = self._user(Role.HOST, "a"), self._user(Role.HOST, "b")
        self.seller, self.seller_b = self._user(Role.MERCHANT, "a"), self._user(Role.MERCHANT, "b")
        self.imposer = self._user(Role.MODERATOR, "a")
        # Strangers: one of each role; the viewer, host and merchant are the B side.
        self.strangers: dict[str, Account] = {
            Role.VIEWER.value: self.buyer_b,
            Role.HOST.value: self.host_b,
            Role.MERCHANT.value: self.seller_b,
            Role.MODERATOR.value: self._user(Role.MODERATOR, "b"),
            Role.RISK_ANALYST.value: self._user(Role.RISK_ANALYST, "b"),
            Role.ADMIN.value: self._user(Role.ADMIN, "b"),
            Role.REGULATOR.value: self._user(Role.REGULATOR, "b"),
        }
        self.product, self.sku = self._product(self.seller, "Silk scarf")
        self.product_b, self.sku_b = self._product(self.seller_b, "Wool hat")
        with self.session() as session:
            self.shop = catalog.ensure_shop(session, merchant=self._get(session, self.seller)).id
            self.shop_b = catalog.ensure_shop(
                session, merchant=self._get(session, self.seller_b)
            ).id
            invitation = staff.invite_staff(
                session, owner=self._get(session, self.seller), user_id=self.host.id
            )  # host A acts for shop A: sells its goods in host A's rooms
            staff.accept_invitation(
                session, invitee=self._get(session, self.host), invitation_id=invitation.id
            )
            self.address = self._address(session, self.buyer)
            self.address_b = self._address(session, self.buyer_b)
        self.room = self.fresh_room()
        self.room_b = self._room(self.host_b)
        for account in (self.buyer, self.host):
            self._credit(account, TopUpKind.WALLET, FUNDS)
        self._credit(self.buyer, TopUpKind.COINS, 10_000)

    # --- plumbing ---

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.database_url) as session:
            yield session

    def number(self) -> int:
        return next(self._numbers)

    @staticmethod
    def _get(session: Session, account: Account) -> User:
        return session.get_one(User, account.id)

    def _user(self, role: Role, side: str) -> Account:
        return self.new_user(role, f"{role.value}_{side}")

    def new_user(self, role: Role = Role.VIEWER, name: str = "") -> Account:
        with self.session() as session:
            user = User(
                username=name or f"{role.value}_{self.number()}",
                password_hash=UNUSABLE_PASSWORD_HASH,
                role=role,
            )
            session.add(user)
            session.flush()
            token = accounts.issue_token(session, user=user)
            return Account(id=user.id, username=user.username, role=user.role, token=token)

    def own_room(self, account: Account | None) -> int | None:
        """The live room ``account`` hosts in the world (hosts A and B), else None."""
        if account is None:
            return None
        return {self.host.id: self.room, self.host_b.id: self.room_b}.get(account.id)

    def _credit(self, account: Account, kind: TopUpKind, amount: int) -> None:
        with self.session() as session:
            top_up = TopUp(user_id=account.id, kind=kind, amount=amount, currency=wallets.CURRENCY)
            session.add(top_up)
            session.flush()
            wallets.record_top_up(session, top_up=top_up, source=MethodKind.CARD)

    @staticmethod
    def _address(session: Session, account: Account) -> int:
        body = AddressIn(recipient="Li Lei", phone="13800138000", region="Shanghai", line="1 Road")
        return addresses.add_address(session, user=session.get_one(User, account.id), body=body).id

    def _product(self, merchant: Account, title: str) -> tuple[int, int]:
        with self.session() as session:
            product = catalog.create_product(
                session,
                merchant=self._get(session, merchant),
                body=ProductIn(title=title, price=PRICE, stock=STOCK),
            )
            return product.id, catalog.skus_of(session, product_id=product.id)[0].id

    # --- rooms, products ---

    def _room(self, host: Account, *, started: bool = True) -> int:
        with self.session() as session:
            actor = self._get(session, host)
            room = live.create_room(session, host=actor, title=f"Room {self.number()}")
            if started:
                live.start_room(session, actor=actor, room_id=room.id)
                shelf.pin_from_shelf(session, actor=actor, room_id=room.id, product_id=self.product)
            return room.id

    def fresh_room(self, *, started: bool = True) -> int:
        """Host A's room: live, product A on its shelf and pinned (or only scheduled)."""
        return self._room(self.host, started=started)

    def fresh_question(self) -> tuple[int, int]:
        room_id = self.fresh_room()
        with self.session() as session:
            question = live.ask_question(
                session, user=self._get(session, self.buyer), room_id=room_id, text="Silk?"
            )
            return room_id, question.id

    def fresh_product(self, *, held: bool = False) -> int:
        title = "特级初榨橄榄油" if held else f"Scarf {self.number()}"  # a grade: held for review
        with self.session() as session:
            return catalog.create_product(
                session,
                merchant=self._get(session, self.seller),
                body=ProductIn(title=title, price=PRICE, stock=STOCK),
            ).id

    def fresh_invitation(self) -> tuple[int, Account]:
        """Shop A's invitation to a new host, not answered yet; and the host."""
        invitee = self.new_user(Role.HOST)
        with self.session() as session:
            invitation = staff.invite_staff(
                session, owner=self._get(session, self.seller), user_id=invitee.id
            )
            return invitation.id, invitee

    def fresh_staff_member(self) -> Account:
        """A new host who accepted shop A's invitation."""
        invitation_id, member = self.fresh_invitation()
        with self.session() as session:
            staff.accept_invitation(
                session, invitee=self._get(session, member), invitation_id=invitation_id
            )
        return member

    # --- orders, after-sales, payments ---

    def fresh_order(self, state: str = "pending") -> int:
        """Buyer A's order of SKU A in room A: pending, paid, shipped or delivered."""
        with self.session() as session:
            buyer = self._get(session, self.buyer)
            order, _ = orders.place_order(
                session,
                buyer=buyer,
                body=OrderIn(
                    items=[OrderItemIn(sku_id=self.sku, quantity=1)],
                    room_id=self.room,
                    address_id=self.address,
                ),
                idempotency_key=f"walk-order-{self.number()}",
                payment_minutes=60,
            )
            if state == "pending":
                return order.id
            charges.pay_order(
                session,
                buyer=buyer,
                order_id=order.id,
                method=charges.MethodChoice(MethodKind.WALLET, None),
                idempotency_key=f"walk-pay-{self.number()}",
                context=payment_context(self.settings),
            )
            if state in ("shipped", "delivered"):
                orders.ship_order(
                    session,
                    actor=self._get(session, self.seller),
                    order_id=order.id,
                    tracking_number="SF1234567",
                )
            if state == "delivered":
                orders.confirm_delivery(session, actor=buyer, order_id=order.id)
            return order.id

    def fresh_prize_order(self) -> int:
        """The prize (price 0) buyer A won in a lucky draw, waiting to be claimed."""
        draw_id = self.fresh_draw()
        with self.session() as session:
            buyer = self._get(session, self.buyer)
            draws.enter_draw(session, user=buyer, draw_id=draw_id, watched_seconds=0)
            session.execute(
                update(LuckyDraw)
                .where(LuckyDraw.id == draw_id)
                .values(deadline=utcnow() - timedelta(seconds=1))
            )
            draws.run_draw(session, draw_id=draw_id)
            prize = session.scalar(select(func.max(Order.id)).where(Order.buyer_id == buyer.id))
            assert prize is not None
            return prize

    def fresh_after_sale(self, state: str = "requested") -> int:
        """Buyer A's return of a delivered order: requested, awaiting the goods, shipped
        back, rejected by the shop or disputed."""
        order_id = self.fresh_order("delivered")
        with self.session() as session:
            buyer, seller = self._get(session, self.buyer), self._get(session, self.seller)
            after_sale = after_sales.request_after_sale(
                session,
                buyer=buyer,
                order_id=order_id,
                body=AfterSaleIn(kind="return", reason="too small"),
                request_days=7,
                merchant_hours=48,
            )
            if state in ("awaiting_return", "return_shipped"):
                after_sales.decide(session, actor=seller, after_sale_id=after_sale.id, approve=True)
            if state == "return_shipped":
                after_sales.ship_return(
                    session, buyer=buyer, after_sale_id=after_sale.id, tracking_number="SF7654321"
                )
            if state in ("rejected", "disputed"):
                after_sales.decide(
                    session, actor=seller, after_sale_id=after_sale.id, approve=False, reason="no"
                )
            if state == "disputed":
                after_sales.escalate(session, buyer=buyer, after_sale_id=after_sale.id)
            return after_sale.id

    def fresh_payment(self, *, method: MethodKind = MethodKind.WALLET) -> tuple[int, str | None]:
        """Buyer A's payment of a fresh order: from the wallet on a device never paid from,
        so it waits for the second factor; from a third-party wallet, waiting for the
        wallet's page. Its id, and the wallet's reference if any."""
        order_id = self.fresh_order()
        with self.session() as session:
            payment = charges.pay_order(
                session,
                buyer=self._get(session, self.buyer),
                order_id=order_id,
                method=charges.MethodChoice(method, None),
                idempotency_key=f"walk-pay-{self.number()}",
                context=payment_context(self.settings),
                device_id=f"walk-device-{self.number()}" if method is MethodKind.WALLET else None,
            )
            return payment.id, payment.gateway_reference

    def fresh_card(self, account: Account | None = None) -> int:
        with self.session() as session:
            method, _ = methods.add_payment_method(
                session,
                user=self._get(session, account or self.buyer),
                body=CardIn.model_validate(
                    CARD | {"exp_year": utcnow().year + 2, "save_consent": True}
                ),
                master=MasterKey(self.settings.resolved_vault_master_key()),
            )
            return method.id

    def fresh_red_packet(self) -> int:
        with self.session() as session:
            return red_packets.drop_red_packet(
                session,
                sender=self._get(session, self.host),
                room_id=self.room,
                total=1_000,
                shares=10,
                greeting="",
                minutes=60,
                idempotency_key=f"walk-packet-{self.number()}",
            ).id

    # --- promotions ---

    def fresh_flash_sale(self) -> int:
        """An open sale of SKU A in host A's room A."""
        now = utcnow()
        body = FlashSaleIn(
            room_id=self.room,
            sku_id=self.sku,
            price=PRICE // 2,
            quantity=10,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
        )
        with self.session() as session:
            return flash_sales.create_flash_sale(
                session,
                actor=self._get(session, self.host),
                body=body,
                engine=flash_sales.stock_engine_for(None, self.database_url),
                reference_days=30,
                moderation_settings=WALK_MODERATION,
            ).id

    def fresh_draw(self, *, due: bool = False, drawn: bool = False) -> int:
        """Host A's draw of SKU A in room A: open, past its deadline (not drawn yet), or
        drawn."""
        body = DrawIn(
            room_id=self.room,
            title="Lucky bag",
            prize_sku_id=self.sku,
            winners_count=1,
            deadline=utcnow() + timedelta(hours=1),
        )
        with self.session() as session:
            draw = draws.create_draw(session, actor=self._get(session, self.host), body=body)
            if due or drawn:
                session.execute(
                    update(LuckyDraw)
                    .where(LuckyDraw.id == draw.id)
                    .values(deadline=utcnow() - timedelta(seconds=1))
                )
            if drawn:
                draws.run_draw(session, draw_id=draw.id)
            return draw.id

    def fresh_coupon(self) -> int:
        """A coupon of shop A, open to grab now."""
        now = utcnow()
        body = CouponIn(
            code=f"WALK{self.number()}",
            name="10 off",
            kind=CouponKind.FIXED,
            amount=1_000,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(days=1),
            total_quantity=100,
        )
        with self.session() as session:
            return coupons.create_coupon(
                session, actor=self._get(session, self.seller), body=body
            ).id

    # --- moderation and governance ---

    def fresh_held_comment(self) -> int:
        """Buyer A's line in room A that the filter held for a moderator."""
        comment_id = new_id()
        with self.session() as session:
            store_held_comments(
                session,
                held=[
                    {
                        "id": comment_id,
                        "room_id": self.room,
                        "user_id": self.buyer.id,
                        "kind": CommentKind.COMMENT,
                        "text": "这是跳楼价吗",
                        "categories": ["violence"],
                        "status": HeldCommentStatus.HELD,
                        "created_at": utcnow(),
                    }
                ],
            )
        return comment_id

    def fresh_report(self, *, claimed: bool = False) -> int:
        """Buyer A's report of a fresh user (claimed by moderator A, if asked)."""
        target = self.new_user()
        with self.session() as session:
            report = moderation_reports.file_report(
                session,
                reporter=self._get(session, self.buyer),
                target_type=ReportTarget.USER,
                target_id=target.id,
                reason=moderation_reports.ReportReason.SPAM,
            )
            if claimed:
                moderation_reports.claim_report(
                    session,
                    moderator=self._get(session, self.imposer),
                    report_id=report.id,
                    settings=get_moderation_settings(),
                )
            return report.id

    def fresh_penalty(self) -> int:
        """Moderator A's warning to host A, worth no points (host A keeps going live)."""
        request = enforcement.ActionRequest(
            kind=PenaltyKind.WARNING,
            rule="walk rule",
            subject_type=SubjectType.USER,
            subject_id=self.host.id,
            points=0,
        )
        with self.session() as session:
            return enforcement.impose_penalty(
                session,
                moderator=self._get(session, self.imposer),
                request=request,
                settings=get_moderation_settings(),
            ).id

    def fresh_appeal(self) -> int:
        penalty_id = self.fresh_penalty()
        with self.session() as session:
            return enforcement_appeals.file_appeal(
                session,
                appellant=self._get(session, self.host),
                penalty_id=penalty_id,
                statement="I did not",
            ).id

    def fresh_qualification(self) -> int:
        with self.session() as session:
            return qualifications.submit_qualification(
                session,
                merchant=self._get(session, self.seller),
                kind=QualificationKind.BUSINESS_LICENCE,
                documents=[qualifications.Document(name="licence", url="https://example.com/l")],
                settings=get_moderation_settings(),
            ).id

    def fresh_inspection(self) -> int:
        """A pending inspection of product A (as a sample draws it)."""
        with self.session() as session:
            inspection = Inspection(
                target_type=InspectionTarget.PRODUCT,
                target_id=self.product,
                shop_id=self.shop,
                seed="walk",
                rate="1",
                result=InspectionResult.PENDING,
            )
            session.add(inspection)
            session.flush()
            return inspection.id
