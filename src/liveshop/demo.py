"""``liveshop demo``: a seeded live room on SQLite with a simulated audience."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import orjson
import uvicorn
import websockets
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.app import create_server_app
from liveshop.assistant import service as assistant
from liveshop.assistant.schemas import FaqIn
from liveshop.auctions.demo_data import seed_won_auction
from liveshop.campaigns.demo_data import CampaignDemo, drive_shoppers, seed_campaign_demo
from liveshop.catalog import service as catalog
from liveshop.catalog import staff
from liveshop.catalog.schemas import ProductIn, SkuIn
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.core.migrations import upgrade_database
from liveshop.core.settings import get_settings
from liveshop.live import service as live
from liveshop.live import shelf
from liveshop.live.models import Room, RoomStatus
from liveshop.media.demo_video import DemoVideo, start_demo_video
from liveshop.media.server import MediaServerMissing
from liveshop.notifications import follows
from liveshop.notifications.listeners import queue_go_live_fan_out
from liveshop.orders import service as orders
from liveshop.orders.models import OrderItem, OrderStatus
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments import charges, wallets
from liveshop.payments.context import payment_context
from liveshop.payments.models import MethodKind, TopUp, TopUpKind
from liveshop.payments.vault import MasterKey
from liveshop.payments.verify import verify_ledger
from liveshop.promotions import coupons, flash_sales
from liveshop.promotions.models import CouponKind
from liveshop.promotions.schemas import CouponIn, FlashSaleIn
from liveshop.promotions.stock_engines import StockEngine
from liveshop.reviews import service as review_service
from liveshop.reviews.schemas import ReviewIn
from liveshop.tracking import service as tracking
from liveshop.tracking.carriers import SandboxCarrier
from liveshop.wiring import connect_domains

console = Console()

DEMO_LOGINS = {
    "demo_host": ("demo-host-pass", Role.HOST),
    "demo_merchant": ("demo-merchant-pass", Role.MERCHANT),
    "demo_viewer": ("demo-viewer-pass", Role.VIEWER),
}
CHATTERS = 40
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
# What a real audience types, so the demo shows folding ("666 x23") and questions.
CHAT_LINES = [
    "666",
    "666",
    "666",
    "主播好美",
    "已下单",
    "已拍",
    "求链接",
    "怎么买",
    "多少钱",
    "有优惠券吗",
    "M码还有吗",
    "冲冲冲",
    "好看!",
    "质量怎么样",
    "发什么快递",
    "哈哈哈哈",
    "来了来了",
    "想要黑色的",
    "上链接!",
    "支持主播",
]
DEMO_FAQ = [
    FaqIn(question="什么时候发货 发什么快递", answer="下单后48小时内发货，默认中通快递"),
    FaqIn(question="包邮吗 运费", answer="全场包邮，新疆西藏除外"),
    FaqIn(question="可以退换吗 七天无理由 运费险", answer="支持7天无理由退换，送运费险"),
    FaqIn(question="优惠券怎么领", answer="点直播间左上角的券，满199减20"),
]
# Questions viewers really type, in the chat: the shop's assistant answers those its
# facts answer (price and stock read at that moment) and queues the rest for the host.
CHAT_LINES += [
    "羽绒服多少钱",
    "L码还有吗",
    "120斤穿什么码",
    "可以机洗吗",
    "包邮吗",
    "baoyou ma",
    "几天发货呀",
    "能退吗😭",
    "主播多高",
    "能便宜点吗",
    "充绒量多少",
]
QUESTIONS = ["羽绒服可以机洗吗?", "160cm 50kg 穿什么码?", "有没有运费险?"]
# Spam that tries to slip past the filter (a real room gets plenty); moderation stars
# or refuses every one of these, and the demo's chat shows it.
EVASIVE_SPAM = [
    "加我 V 信 1 3 8 0 0 1 3 8 0 0 0 便宜出",
    "私聊 ⓦⓧ: abc12345 低价",
    "薇信 lucky888 有内部价",
    "澳门赌场 上线就送 100",
]
SPAM_SHARE = 0.03
DEMO_CARD = {"card_number": "4242 4242 4242 4242", "exp_month": 12, "cvc": "123"}  # sandbox
FAN_COINS_TOP_UP = 5_000  # 分: 500 coins each
HOST_WALLET_TOP_UP = 100_000  # 分: for red packets
DEMO_GIFTS = ["heart", "rose", "lightstick", "cake"]
RED_PACKET_EVERY_TICKS = 15
ONE_CLICK_EVERY_TICKS = 7


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
            tokens.append(accounts.issue_token(session, user=chatter))
        host_token = accounts.issue_token(session, user=host)
        campaign = _seed_campaign(session, host=host, merchant=merchant)
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


def seed_demo_auction(database_url: str, *, room_id: int) -> int:
    """An auction won in the demo room: fan_001 bids up to ¥120, demo_viewer up to
    ¥200; demo_viewer wins at ¥125 and has the order to pay (issue 17 §4)."""
    with unit_of_work(database_url) as session:
        merchant = session.scalars(select(User).where(User.username == "demo_merchant")).one()
        shop = catalog.ensure_shop(session, merchant=merchant)
        sku_id = catalog.list_shop_products(session, shop_id=shop.id)[0].skus[0].id
    return seed_won_auction(
        database_url,
        room_id=room_id,
        sku_id=sku_id,
        bids=[("fan_001", 12_000), ("demo_viewer", 20_000)],
        master=MasterKey(get_settings().resolved_vault_master_key()),
    )


def _seed_campaign(session: Session, *, host: User, merchant: User) -> CampaignDemo:
    """The campaign promotes the scarf; the host is its KOL on Douyin."""
    shop = catalog.shop_of(session, user=merchant)
    assert shop is not None  # the merchant's products made it
    product = next(
        found
        for found in catalog.list_shop_products(session, shop_id=shop.id, limit=50)
        if found.title == PRODUCTS[-1].title
    )
    sku_id = catalog.skus_of(session, product_id=product.id)[0].id
    return seed_campaign_demo(
        session, merchant=merchant, kol=host, product_id=product.id, sku_id=sku_id
    )


# --- the buyer's journey (issue 17): a product page with reviews, a go-live notice,
# a parcel on its way ---

JOURNEY_SCARF = 2  # PRODUCTS[2], the scarf: reviewed, and a second one on its way


def _paid_demo_order(session: Session, *, buyer: User, sku_id: int, key: str) -> int:
    """A wallet-paid order of one unit (the wallet topped up first), as a buyer pays."""
    order, _ = orders.place_order(
        session,
        buyer=buyer,
        body=OrderIn(items=[OrderItemIn(sku_id=sku_id, quantity=1)]),
        idempotency_key=key,
        payment_minutes=15,
    )
    if order.status is OrderStatus.PENDING_PAYMENT:
        top_up = TopUp(user_id=buyer.id, kind=TopUpKind.WALLET, amount=order.total, currency="CNY")
        session.add(top_up)
        session.flush()
        wallets.record_top_up(session, top_up=top_up, source=MethodKind.CARD)
        charges.pay_order(
            session,
            buyer=buyer,
            order_id=order.id,
            method=charges.MethodChoice(MethodKind.WALLET, None),
            idempotency_key=f"{key}-pay",
            context=payment_context(get_settings()),
        )
    return order.id


def seed_buyer_journey(database_url: str, *, room_id: int) -> tuple[int, int]:
    """demo_viewer follows demo_host (the room's go-live notice is queued for the
    followers), has a delivered scarf it reviewed (the shop replied) and a second
    one moving with the sandbox carrier. Safe to run again. (product id, moving order id)"""
    with unit_of_work(database_url) as session:
        viewer = session.scalars(select(User).where(User.username == "demo_viewer")).one()
        host = session.scalars(select(User).where(User.username == "demo_host")).one()
        merchant = session.scalars(select(User).where(User.username == "demo_merchant")).one()
        follows.follow_host(session, user=viewer, host_id=host.id)
        queue_go_live_fan_out(session, room_id=room_id)
        shop = catalog.ensure_shop(session, merchant=merchant)
        scarf = catalog.list_shop_products(session, shop_id=shop.id)[JOURNEY_SCARF]
        sku_id = scarf.skus[0].id
        delivered = _paid_demo_order(session, buyer=viewer, sku_id=sku_id, key="journey-1")
        moving = _paid_demo_order(session, buyer=viewer, sku_id=sku_id, key="journey-2")
    for order_id, number in ((delivered, "SBDEMO0001"), (moving, "SBDEMO0002")):
        with unit_of_work(database_url) as session, contextlib.suppress(LiveShopError):
            tracking.ship_with_tracking(
                session,
                actor=merchant,
                order_id=order_id,
                carrier="sandbox",
                tracking_number=number,
            )
    with unit_of_work(database_url) as session:
        parcel = tracking.shipment_by_number(
            session, carrier="sandbox", tracking_number="SBDEMO0001"
        )
        if parcel is not None:
            steps = SandboxCarrier(60).scans_due(
                tracking_number=parcel.tracking_number,
                shipped_at=parcel.created_at,
                now=parcel.created_at + timedelta(hours=1),
            )
            tracking.record_scans(session, shipment=parcel, scans=steps)
    with unit_of_work(database_url) as session, contextlib.suppress(LiveShopError):
        line = session.scalars(select(OrderItem).where(OrderItem.order_id == delivered)).one()
        review = review_service.write_review(
            session,
            buyer=session.get_one(User, viewer.id),
            order_item_id=line.id,
            body=ReviewIn(rating=5, text="羊毛很软，礼盒包装精致，送人很体面。"),
            edit_window=timedelta(hours=72),
        )
        review_service.reply_to_review(
            session,
            actor=session.get_one(User, merchant.id),
            review_id=review.id,
            text="谢谢亲的认可，欢迎再来直播间！",
        )
    return scarf.id, moving


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


async def _watch(url: str, stop: asyncio.Event) -> None:
    """A silent viewer: reads every frame until the demo stops."""
    with contextlib.suppress(Exception):
        async with websockets.connect(url, max_size=2**20) as socket:
            while not stop.is_set():
                await socket.recv()


async def _chat(
    url: str, tokens: list[str], rate: float, likes_rate: float, stop: asyncio.Event
) -> None:
    """Comments and likes from the chatters at the given average rates (Poisson)."""
    sockets = []
    for token in tokens:
        with contextlib.suppress(Exception):
            sockets.append(await websockets.connect(f"{url}?token={token}", max_size=2**20))
    drains = [asyncio.create_task(_drain(socket)) for socket in sockets]
    rng = random.Random(7)
    try:
        while not stop.is_set() and sockets:
            total = rate + likes_rate
            await asyncio.sleep(rng.expovariate(total) if total > 0 else 1.0)
            socket = rng.choice(sockets)
            if rng.random() < rate / total:
                draw = rng.random()
                if draw < SPAM_SHARE:
                    text = rng.choice(EVASIVE_SPAM)
                elif draw < SPAM_SHARE + 0.02:
                    text = rng.choice(QUESTIONS)
                else:
                    text = rng.choice(CHAT_LINES)
                kind = "question" if text in QUESTIONS else "comment"
                message: dict[str, str | int] = {"type": kind, "text": text}
            else:
                message = {"type": "like", "count": rng.randint(1, 5)}
            with contextlib.suppress(Exception):
                await socket.send(orjson.dumps(message).decode())
    finally:
        for task in drains:
            task.cancel()
        for socket in sockets:
            with contextlib.suppress(Exception):
                await socket.close()


def _auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | {"Idempotency-Key": key} if key else headers


async def _prepare_fan(client: httpx.AsyncClient, token: str, index: int) -> int:
    """A saved test card, an address and some coins; returns the card's method id."""
    card = await client.post(
        "/api/payment-methods",
        json=DEMO_CARD | {"exp_year": utcnow().year + 3},
        headers=_auth(token),
    )
    method_id = int(card.json()["id"])
    await client.post(
        "/api/addresses",
        json={
            "recipient": f"粉丝{index}",
            "phone": "13800000000",
            "region": "杭州市",
            "line": "1号",
        },
        headers=_auth(token),
    )
    await client.post(
        "/api/top-ups",
        json={"kind": "coins", "amount": FAN_COINS_TOP_UP, "payment_method_id": method_id},
        headers=_auth(token, f"demo-coins-{token[:16]}"),
    )
    return method_id


async def _shop(
    base_url: str, demo: DemoRoom, stop: asyncio.Event, cards: dict[str, int], ready: asyncio.Event
) -> None:
    """Fans save a card and buy coins, grab the coupon drop at once, rush the flash sale
    when it opens and pay for what they got."""
    rng = random.Random(11)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for index, token in enumerate(demo.chatter_tokens):
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                cards[token] = await _prepare_fan(client, token, index)
        ready.set()
        for token in demo.chatter_tokens[: len(demo.chatter_tokens) // 2]:
            await client.post(f"/api/coupons/{demo.coupon_id}/grab", headers=_auth(token))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=demo.flash_sale_starts_in + 0.5)
        rushers = [t for t in rng.sample(demo.chatter_tokens, len(demo.chatter_tokens))]
        rush = [
            client.post(
                f"/api/flash-sales/{demo.flash_sale_id}/buy",
                json={"quantity": 1},
                headers=_auth(token),
            )
            for token in rushers
            if not stop.is_set()
        ]
        answers = await asyncio.gather(*rush, return_exceptions=True)
        for token, answer in zip(rushers, answers, strict=False):
            if isinstance(answer, httpx.Response) and answer.status_code == 201 and token in cards:
                order_id = answer.json()["id"]
                await client.post(
                    "/api/payments",
                    json={"order_id": order_id, "payment_method_id": cards[token]},
                    headers=_auth(token, f"demo-pay-{order_id}"),
                )


async def _spend(
    base_url: str, demo: DemoRoom, stop: asyncio.Event, cards: dict[str, int], ready: asyncio.Event
) -> None:
    """Gifts every few seconds, a red packet from the host now and then that fans grab,
    and now and then a fan buys the pinned product with one click."""
    rng = random.Random(13)
    await ready.wait()
    spenders = [token for token in demo.chatter_tokens if token in cards]
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        host_card = await client.post(
            "/api/payment-methods",
            json=DEMO_CARD | {"exp_year": utcnow().year + 3},
            headers=_auth(demo.host_token),
        )
        await client.post(
            "/api/top-ups",
            json={
                "kind": "wallet",
                "amount": HOST_WALLET_TOP_UP,
                "payment_method_id": host_card.json()["id"],
            },
            headers=_auth(demo.host_token, f"demo-wallet-{demo.host_token[:16]}"),
        )
        tick = 0
        while not stop.is_set() and spenders:
            tick += 1
            token = rng.choice(spenders)
            gift = rng.choices(DEMO_GIFTS, weights=[60, 30, 8, 2])[0]
            await client.post(
                f"/api/rooms/{demo.room_id}/gifts",
                json={"gift": gift, "count": rng.choice([1, 1, 1, 3, 10])},
                headers=_auth(token, uuid.uuid4().hex),
            )
            if tick % RED_PACKET_EVERY_TICKS == 1:
                await _red_packet_round(client, demo, rng.sample(spenders, min(15, len(spenders))))
            if tick % ONE_CLICK_EVERY_TICKS == 0:
                await client.post(
                    f"/api/rooms/{demo.room_id}/buy-now/pay",
                    json={},
                    headers=_auth(token, uuid.uuid4().hex),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=rng.uniform(1.0, 4.0))


async def _red_packet_round(client: httpx.AsyncClient, demo: DemoRoom, grabbers: list[str]) -> None:
    dropped = await client.post(
        f"/api/rooms/{demo.room_id}/red-packets",
        json={"total": 8_888, "shares": 10, "greeting": "感谢大家支持!", "minutes": 2},
        headers=_auth(demo.host_token, uuid.uuid4().hex),
    )
    if dropped.status_code != 201:
        return
    packet_id = dropped.json()["id"]
    await asyncio.sleep(1.0)  # fans see the packet, then everyone grabs at once
    await asyncio.gather(
        *(client.post(f"/api/red-packets/{packet_id}/grab", headers=_auth(t)) for t in grabbers),
        return_exceptions=True,
    )


async def _attack(base_url: str, demo: DemoRoom) -> None:
    """A card tester and a coupon bot, and what the risk engine did to them."""
    from liveshop.risk.demo_attacks import run_attackers

    with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
        report = await run_attackers(base_url, coupon_id=demo.coupon_id)
        for line in report.lines():
            console.print(f"[yellow]risk stopped a {line}[/yellow]")


async def _drain(socket: websockets.ClientConnection) -> None:
    with contextlib.suppress(Exception):
        async for _frame in socket:
            pass


async def _serve_with_audience(
    host: str,
    port: int,
    demo: DemoRoom,
    viewers: int,
    comments_per_second: float,
    likes_per_second: float,
    seconds: float,
) -> None:
    config = uvicorn.Config(
        create_server_app(),
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # frames are shared bytes: see live/subscribers.py
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    server_task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if server_task.done():
            return
    video = _start_demo_video(host, port, demo.room_id)
    _print_welcome(host, port, demo.room_id, demo.journey, demo.campaign)
    stop = asyncio.Event()
    url = f"ws://{host}:{port}/ws/rooms/{demo.room_id}"
    audience = [asyncio.create_task(_watch(url, stop)) for _ in range(viewers)]
    cards: dict[str, int] = {}
    ready = asyncio.Event()
    base_url = f"http://{host}:{port}"
    audience.append(asyncio.create_task(_shop(base_url, demo, stop, cards, ready)))
    audience.append(asyncio.create_task(_spend(base_url, demo, stop, cards, ready)))
    audience.append(asyncio.create_task(_attack(base_url, demo)))
    if demo.campaign is not None:
        audience.append(
            asyncio.create_task(_campaign_shoppers(base_url, demo.campaign, demo, stop))
        )
    audience.append(
        asyncio.create_task(
            _chat(url, demo.chatter_tokens, comments_per_second, likes_per_second, stop)
        )
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds or None)
    stop.set()
    for task in audience:
        task.cancel()
    if video is not None:
        video.stop()
    server.should_exit = True
    await server_task


def _start_demo_video(host: str, port: int, room_id: int) -> DemoVideo | None:
    """The media server and an ffmpeg test pattern into the demo room; the demo goes on
    without video when nginx's RTMP module or ffmpeg is missing (``make media``)."""
    api_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    try:
        video = start_demo_video(
            get_settings(), room_id=room_id, api_url=f"http://{api_host}:{port}"
        )
    except (MediaServerMissing, RuntimeError, OSError) as error:
        console.print(f"[yellow]no live video[/yellow]: {error}")
        return None
    console.print(f"live video: {get_settings().media_public_url}/hls/ (nginx and ffmpeg)")
    return video


async def _campaign_shoppers(
    base_url: str, campaign: CampaignDemo, demo: DemoRoom, stop: asyncio.Event
) -> None:
    """The campaign's shoppers: their A/B variants, clicks and attributed orders."""
    await drive_shoppers(base_url, campaign, demo.shopper_tokens, stop)


def _print_welcome(
    host: str,
    port: int,
    room_id: int,
    journey: tuple[int, int] | None = None,
    campaign: CampaignDemo | None = None,
) -> None:
    base = f"http://{host}:{port}"
    table = Table(title="LiveShop demo is live")
    table.add_column("what")
    table.add_column("where")
    table.add_row("viewer page", f"{base}/rooms/{room_id}")
    table.add_row("host console", f"{base}/host/rooms/{room_id}")
    table.add_row("home", f"{base}/")
    if journey is not None:
        table.add_row("product page, with reviews", f"{base}/products/{journey[0]}")
        table.add_row("notifications (demo_viewer)", f"{base}/notifications")
        table.add_row("a parcel on its way", f"{base}/orders/{journey[1]}/tracking")
    if campaign is not None:
        table.add_row("campaign (demo_merchant)", f"{base}/campaigns/{campaign.campaign_id}")
        table.add_row("A/B test (demo_merchant)", f"{base}/experiments/{campaign.experiment_id}")
    table.add_row("API docs", f"{base}/docs")
    table.add_row("metrics", f"{base}/metrics")
    for name, (password, role) in DEMO_LOGINS.items():
        table.add_row(f"login ({role.value})", f"{name} / {password}")
    console.print(table)
    console.print("Ctrl-C stops the demo.")


def run_demo(
    *,
    host: str,
    port: int,
    viewers: int,
    comments_per_second: float,
    likes_per_second: float,
    seconds: float,
    flash_sale_in: float = 60.0,
) -> None:
    settings = get_settings()
    with console.status("seeding the demo room"):
        demo = seed_demo(
            settings.resolved_database_url(), settings.redis_url, flash_sale_starts_in=flash_sale_in
        )
    asyncio.run(
        _serve_with_audience(
            host, port, demo, viewers, comments_per_second, likes_per_second, seconds
        )
    )
    with unit_of_work(settings.resolved_database_url()) as session:
        report = verify_ledger(session)
    if report.ok:
        console.print(
            f"[green]ledger verified[/green]: {report.transactions} transactions, "
            f"{report.paid_orders} paid orders, no breaches (liveshop ledger verify)"
        )
    else:
        console.print(
            f"[red]ledger breaches: {len(report.breaches)}[/red] (liveshop ledger verify)"
        )
