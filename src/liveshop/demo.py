"""``liveshop demo``: a seeded live room on SQLite with a simulated audience."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from dataclasses import dataclass

import orjson
import uvicorn
import websockets
from rich.console import Console
from rich.table import Table

from liveshop.accounts import service as accounts
from liveshop.accounts.models import Role, User
from liveshop.app import create_app
from liveshop.core.db import unit_of_work
from liveshop.core.migrations import upgrade_database
from liveshop.core.settings import get_settings
from liveshop.live import service as live
from liveshop.live.models import Room, RoomStatus
from liveshop.live.schemas import ProductCard

console = Console()

DEMO_LOGINS = {
    "demo_host": ("demo-host-pass", Role.HOST),
    "demo_merchant": ("demo-merchant-pass", Role.MERCHANT),
    "demo_viewer": ("demo-viewer-pass", Role.VIEWER),
}
CHATTERS = 40
PRODUCTS = [
    ProductCard(title="轻薄羽绒服 90% 白鸭绒", price=29_900),
    ProductCard(title="加绒保暖打底裤 两条装", price=5_990),
    ProductCard(title="羊毛围巾 礼盒装", price=12_800),
]
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
QUESTIONS = ["羽绒服可以机洗吗?", "160cm 50kg 穿什么码?", "有没有运费险?"]


@dataclass
class DemoRoom:
    room_id: int
    chatter_tokens: list[str]


def _get_or_create(session: object, username: str, password: str, role: Role) -> User:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return user or accounts.create_user(session, username=username, password=password, role=role)


def seed_demo(database_url: str) -> DemoRoom:
    """Demo users, a live room with a pinned product, and chatters' tokens (idempotent)."""
    from sqlalchemy import select

    upgrade_database(database_url)
    with unit_of_work(database_url) as session:
        users = {
            name: _get_or_create(session, name, password, role)
            for name, (password, role) in DEMO_LOGINS.items()
        }
        host = users["demo_host"]
        room = session.scalars(
            select(Room).where(Room.host_id == host.id, Room.status == RoomStatus.LIVE)
        ).first()
        if room is None:
            room = live.create_room(
                session,
                host=host,
                title="新品首发 · 秋冬羽绒服专场",
                description="A demo room: chat, like, ask the host a question.",
            )
            live.start_room(session, actor=host, room_id=room.id)
            live.pin_product(session, actor=host, room_id=room.id, card=PRODUCTS[0])
        tokens = []
        for index in range(CHATTERS):
            chatter = _get_or_create(session, f"fan_{index:03d}", "demo-fan-pass", Role.VIEWER)
            tokens.append(accounts.issue_token(session, user=chatter))
        return DemoRoom(room_id=room.id, chatter_tokens=tokens)


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
                text = rng.choice(QUESTIONS) if rng.random() < 0.02 else rng.choice(CHAT_LINES)
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
        create_app(), host=host, port=port, ws="websockets-sansio", log_level="warning"
    )
    server = uvicorn.Server(config)
    server_task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if server_task.done():
            return
    _print_welcome(host, port, demo.room_id)
    stop = asyncio.Event()
    url = f"ws://{host}:{port}/ws/rooms/{demo.room_id}"
    audience = [asyncio.create_task(_watch(url, stop)) for _ in range(viewers)]
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
    server.should_exit = True
    await server_task


def _print_welcome(host: str, port: int, room_id: int) -> None:
    base = f"http://{host}:{port}"
    table = Table(title="LiveShop demo is live")
    table.add_column("what")
    table.add_column("where")
    table.add_row("viewer page", f"{base}/rooms/{room_id}")
    table.add_row("host console", f"{base}/host/rooms/{room_id}")
    table.add_row("home", f"{base}/")
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
) -> None:
    settings = get_settings()
    with console.status("seeding the demo room"):
        demo = seed_demo(settings.resolved_database_url())
    asyncio.run(
        _serve_with_audience(
            host, port, demo, viewers, comments_per_second, likes_per_second, seconds
        )
    )
