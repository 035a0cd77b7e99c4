"""``run_demo``: seed the world, serve the app, start every scene's tasks beside it, and
verify the ledger once the demo stops."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import uvicorn
from rich.table import Table

from liveshop.app import create_server_app
from liveshop.campaigns.demo_data import CampaignDemo
from liveshop.core.db import unit_of_work
from liveshop.core.settings import get_settings
from liveshop.demo.attack import attack
from liveshop.demo.audience import chat, watch
from liveshop.demo.campaign import campaign_shoppers
from liveshop.demo.console import console
from liveshop.demo.shoppers import shop, spend
from liveshop.demo.world import DEMO_CROWD_LOGINS, DEMO_LOGINS, DemoRoom, seed_demo
from liveshop.media.demo_video import DemoVideo, start_demo_video
from liveshop.media.server import MediaServerMissing
from liveshop.payments.verify import verify_ledger

ATTACK_GRACE_SECONDS = 60


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
    audience = [asyncio.create_task(watch(url, stop)) for _ in range(viewers)]
    cards: dict[str, int] = {}
    ready = asyncio.Event()
    base_url = f"http://{host}:{port}"
    audience.append(asyncio.create_task(shop(base_url, demo, stop, cards, ready)))
    audience.append(asyncio.create_task(spend(base_url, demo, stop, cards, ready)))
    attackers = asyncio.create_task(attack(base_url, demo))
    if demo.campaign is not None:
        audience.append(
            asyncio.create_task(
                campaign_shoppers(base_url, demo.campaign, demo.shopper_tokens, stop)
            )
        )
    audience.append(
        asyncio.create_task(
            chat(url, demo.chatter_tokens, comments_per_second, likes_per_second, stop)
        )
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds or None)
    stop.set()
    # The attack is a fixed scene: on a busy machine it may outlast a short demo, and
    # what the risk engine did to it is worth the wait.
    await asyncio.wait([attackers], timeout=ATTACK_GRACE_SECONDS)
    for task in [*audience, attackers]:
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
    for names, password in DEMO_CROWD_LOGINS.items():
        table.add_row("login (viewer, the audience)", f"{names} / {password}")
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
