"""X-Forwarded-For from a peer outside LIVESHOP_FORWARDED_ALLOW_IPS is ignored: a
client cannot pick a fresh address for each guess."""

from __future__ import annotations

import httpx

from tests.web.conftest import LiveServer

SERVER_ENVIRONMENT = {
    "LIVESHOP_LOGIN_FAILURES_PER_ADDRESS": "2",
    "LIVESHOP_FORWARDED_ALLOW_IPS": "192.0.2.1",  # some other proxy, not this test
}


def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(
    server: LiveServer,
) -> None:
    statuses = [
        httpx.post(
            f"{server.base_url}/api/auth/login",
            json={"username": "nobody_here", "password": "not-a-password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=10,
        ).status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]
