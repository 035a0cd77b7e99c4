"""The demo's audience: silent viewers who read every frame, and chatters who comment,
ask, spam and like over their WebSockets at Poisson rates."""

from __future__ import annotations

import asyncio
import contextlib
import random

import orjson
import websockets

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


async def watch(url: str, stop: asyncio.Event) -> None:
    """A silent viewer: reads every frame until the demo stops."""
    with contextlib.suppress(Exception):
        async with websockets.connect(url, max_size=2**20) as socket:
            while not stop.is_set():
                await socket.recv()


async def chat(
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


async def _drain(socket: websockets.ClientConnection) -> None:
    with contextlib.suppress(Exception):
        async for _frame in socket:
            pass
