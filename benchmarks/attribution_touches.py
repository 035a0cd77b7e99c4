"""What the attribution middleware costs a request: without an attribution cookie or
header (every request pays this) and with one (a deduplicated repeat).

    .venv/bin/python benchmarks/attribution_touches.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from liveshop.campaigns.tracking import AttributionTouches, TouchRecorder
from liveshop.core.settings import Settings


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    requests = parser.parse_args().requests
    middleware = AttributionTouches(_inner, TouchRecorder(Settings(secret_key="b" * 32)))
    common = [(b"host", b"shop.example"), (b"authorization", b"Bearer token"), (b"accept", b"*/*")]
    cases = {
        "no attribution": common,
        "attribution cookie": [
            *common,
            (b"cookie", b"liveshop_session=abc; ls_attr=abcd2345.0123456789abcdef"),
        ],
    }
    for name, headers in cases.items():
        scope = {"type": "http", "path": "/api/rooms/5", "method": "GET", "headers": headers}
        started = time.perf_counter()
        for _ in range(requests):
            middleware._note(scope)
        elapsed = time.perf_counter() - started
        print(f"{name}: {elapsed / requests * 1e6:.2f} us per request")


if __name__ == "__main__":
    main()
