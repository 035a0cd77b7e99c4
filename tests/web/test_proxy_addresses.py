"""``liveshop serve`` believes X-Forwarded-For from a trusted proxy (127.0.0.1 by default):
the sign-in limits count the address the proxy reports, not the proxy's own."""

from __future__ import annotations

import httpx

from tests.web.conftest import LiveServer

SERVER_ENVIRONMENT = {"LIVESHOP_LOGIN_FAILURES_PER_ADDRESS": "2"}


def _log_in(server: LiveServer, forwarded_for: str) -> int:
    response = httpx.post(
        f"{server.base_url}/api/auth/login",
        json={"username": "nobody_here", "password": "not-a-password"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )
    return response.status_code


def test_each_address_behind_the_trusted_proxy_has_its_own_limit(server: LiveServer) -> None:
    first = [_log_in(server, "203.0.113.7") for _ in range(3)]
    second = [_log_in(server, "198.51.100.8") for _ in range(3)]

    assert first == [401, 401, 429]
    assert second == [401, 401, 429]
