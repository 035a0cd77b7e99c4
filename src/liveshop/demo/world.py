"""The demo's world: its logins, the shop's products and FAQ, a live room with a shelf,
a flash sale and a coupon drop, the chatters and the campaign. Safe to seed again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts import service as accounts
from liveshop.accounts.display_names import set_display_name
from liveshop.accounts.models import Role, User
from liveshop.assistant import service as assistant
from liveshop.assistant.schemas import FaqIn
from liveshop.campaigns.demo_data import SHOPPERS, CampaignDemo
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn, SkuIn
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.demo.campaign import seed_campaign
from liveshop.demo.journey import seed_buyer_journey, seed_demo_auction
from liveshop.demo.names import fan_name
from liveshop.live import service as live
from liveshop.live import shelf
from liveshop.live.models import Room, RoomStatus
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.models import CouponKind
from liveshop.promotions.schemas import CouponIn, FlashSaleIn
from liveshop.promotions.stock_engines import StockEngine
from liveshop.wiring import connect_domains

# One login per role, printed by the demo, so every page can be tried (the back office too).
DEMO_LOGINS = {
    "demo_host": ("demo-host-pass", Role.HOST),
    "demo_merchant": ("demo-merchant-pass", Role.MERCHANT),
    "demo_viewer": ("demo-viewer-pass", Role.VIEWER),
    "demo_moderator": ("demo-moderator-pass", Role.MODERATOR),
    "demo_risk_analyst": ("demo-risk-analyst-pass", Role.RISK_ANALYST),
    "demo_regulator": ("demo-regulator-pass", Role.REGULATOR),
    "demo_admin": ("demo-admin-pass", Role.ADMIN),
}
CHATTERS = 40
# The simulated audience's accounts: printed too (any of them signs in with its password).
DEMO_CROWD_LOGINS = {
    f"fan_000 … fan_{CHATTERS - 1:03d}": "demo-fan-pass",
    f"shopper_000 … shopper_{SHOPPERS - 1:03d}": "demo-shopper-pass",
}
PRODUCTS = [
    ProductIn(
        title="轻薄羽绒服 90% 白鸭绒",
        category="女装",
        # What the shop's assistant answers from (with DEMO_FAQ and the live SKUs).
        attributes={
            "填充物": "90%白鸭绒，充绒量120克",
            "面料": "防风防泼水尼龙",
            "尺码建议": "M码适合100-115斤，L码115-130斤",
            "洗涤": "可以手洗或机洗（羽绒服模式），不要干洗",
        },
        skus=[
            SkuIn(code="DOWN-M", options={"尺码": "M"}, price=29_900, stock=500),
            SkuIn(code="DOWN-L", options={"尺码": "L"}, price=29_900, stock=500),
        ],
    ),
    ProductIn(title="加绒保暖打底裤 两条装", category="女装", price=5_990, stock=1_000),
    ProductIn(title="羊毛围巾 礼盒装", category="配饰", price=12_800, stock=300),
]
FLASH_SALE_UNITS = 50
DEMO_FAQ = [
    FaqIn(question="什么时候发货 发什么快递", answer="下单后48小时内发货，默认中通快递"),
    FaqIn(question="包邮吗 运费", answer="全场包邮，新疆西藏除外"),
    FaqIn(question="可以退换吗 七天无理由 运费险", answer="支持7天无理由退换，送运费险"),
    FaqIn(question="优惠券怎么领", answer="点直播间左上角的券，满199减20"),
]


@dataclass
class DemoRoom:
    room_id: int
    chatter_tokens: list[str]
    flash_sale_id: int
    coupon_id: int
    host_token: str
    flash_sale_starts_in: float  # seconds from the seeding
    campaign: CampaignDemo | None = None  # a two-channel campaign and an A/B test
    shopper_tokens: list[str] = field(default_factory=list)  # the campaign's shoppers
    journey: tuple[int, int] | None = None  # the reviewed product, the parcel's order


def _get_or_create(session: Session, username: str, password: str, role: Role) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return user or accounts.create_user(session, username=username, password=password, role=role)


def seed_demo(
    database_url: str, redis_url: str | None = None, *, flash_sale_starts_in: float = 60.0
) -> DemoRoom:
    """Demo users, a shop, a live room with a shelf, a flash sale starting in a minute
    and a coupon drop, and chatters' tokens. Safe to run again."""
    connect_domains()  # product copy is checked, the shelf is read, as in the app
    upgrade_database(database_url)
    with unit_of_work(database_url) as session:
        users = {
            name: _get_or_create(session, name, password, role)
            for name, (password, role) in DEMO_LOGINS.items()
        }
        host, merchant = users["demo_host"], users["demo_merchant"]
        room = session.scalars(
            select(Room).where(Room.host_id == host.id, Room.status == RoomStatus.LIVE)
        ).first()
        if room is None:
            room = _open_room(session, host=host, merchant=merchant)
        engine = flash_sales.stock_engine_for(redis_url, database_url)
        flash_sale_id, coupon_id = _start_promotions(
            session, host=host, room=room, engine=engine, starts_in=flash_sale_starts_in
        )
        tokens = []
        for index in range(CHATTERS):
            chatter = _get_or_create(session, f"fan_{index:03d}", "demo-fan-pass", Role.VIEWER)
            set_display_name(session, user=chatter, display_name=fan_name(index))
            tokens.append(accounts.issue_token(session, user=chatter))
        host_token = accounts.issue_token(session, user=host)
        campaign = seed_campaign(
            session, host=host, merchant=merchant, product_title=PRODUCTS[-1].title
        )
        shopper_tokens = [
            accounts.issue_token(session, user=session.get_one(User, user_id))
            for user_id in campaign.shopper_ids
        ]
        demo = DemoRoom(
            room.id,
            tokens,
            flash_sale_id,
            coupon_id,
            host_token,
            flash_sale_starts_in,
            campaign=campaign,
            shopper_tokens=shopper_tokens,
        )
    demo.journey = seed_buyer_journey(database_url, room_id=demo.room_id)
    seed_demo_auction(database_url, room_id=demo.room_id)
    return demo


def _open_room(session: Session, *, host: User, merchant: User) -> Room:
    product_ids = [
        catalog.create_product(session, merchant=merchant, body=product).id for product in PRODUCTS
    ]
    # The host sells for the shop: the merchant invites, the host accepts.
    invitation = staff.invite_staff(session, owner=merchant, user_id=host.id)
    staff.accept_invitation(session, invitee=host, invitation_id=invitation.id)
    room = live.create_room(
        session,
        host=host,
        title="新品首发 · 秋冬羽绒服专场",
        description="A demo room: chat, like, ask the host a question, grab coupons, buy.",
    )
    live.start_room(session, actor=host, room_id=room.id)
    shelf.set_shelf(session, actor=host, room_id=room.id, product_ids=product_ids)
    shelf.pin_from_shelf(session, actor=host, room_id=room.id, product_id=product_ids[0])
    assistant.replace_faq(session, actor=merchant, entries=DEMO_FAQ)
    return room


def _start_promotions(
    session: Session, *, host: User, room: Room, engine: StockEngine, starts_in: float
) -> tuple[int, int]:
    """A flash sale that starts soon and a coupon drop, for every demo run."""
    now = utcnow()
    coat = shelf.shelf(session, room_id=room.id)[0]
    sale = flash_sales.create_flash_sale(
        session,
        actor=host,
        body=FlashSaleIn(
            room_id=room.id,
            sku_id=coat.skus[0].id,
            price=coat.skus[0].price * 6 // 10,
            quantity=FLASH_SALE_UNITS,
            per_user_limit=1,
            starts_at=now + timedelta(seconds=starts_in),
            ends_at=now + timedelta(hours=1),
        ),
        engine=engine,
        reference_days=30,
    )
    drop = coupons.create_coupon(
        session,
        actor=host,
        body=CouponIn(
            code=f"DEMO{sale.id:04d}",
            name="满200减30",
            kind=CouponKind.THRESHOLD,
            threshold=20_000,
            amount=3_000,
            room_id=room.id,
            starts_at=now,
            ends_at=now + timedelta(hours=2),
            total_quantity=100,
        ),
    )
    return sale.id, drop.id
