"""The demo's attack scene: risk's simulated attackers against the running demo, their
fate printed beside the demo's other lines."""

from __future__ import annotations

import contextlib

import httpx

from liveshop.demo.console import console
from liveshop.demo.world import DemoRoom


async def attack(base_url: str, demo: DemoRoom) -> None:
    """A card tester and a coupon bot, and what the risk engine did to them."""
    from liveshop.risk.demo_attacks import run_attackers

    with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
        report = await run_attackers(base_url, coupon_id=demo.coupon_id)
        for line in report.lines():
            console.print(f"[yellow]risk stopped a {line}[/yellow]")
