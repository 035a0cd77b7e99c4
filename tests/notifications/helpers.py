"""Followers in bulk (one statement) and a local SMTP sink (aiosmtpd)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from liveshop.accounts.models import Role, User
from liveshop.app import create_app
from liveshop.catalog.models import ShopFollower
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.notifications.models import HostFollower
from tests.ports import free_port

UNUSABLE_PASSWORD_HASH = "!"  # these users never sign in


def bulk_followers(
    database_url: str,
    *,
    count: int,
    host_id: int | None = None,
    shop_id: int | None = None,
    prefix: str = "fan",
) -> list[int]:
    """``count`` new viewers following the host and/or the shop; their ids."""
    with unit_of_work(database_url) as session:
        session.execute(
            insert(User),
            [
                {
                    "username": f"{prefix}{index}",
                    "password_hash": UNUSABLE_PASSWORD_HASH,
                    "role": Role.VIEWER,
                }
                for index in range(count)
            ],
        )
        ids = list(session.scalars(select(User.id).where(User.username.like(f"{prefix}%"))))
        if host_id is not None:
            session.execute(insert(HostFollower), [{"host_id": host_id, "user_id": i} for i in ids])
        if shop_id is not None:
            session.execute(insert(ShopFollower), [{"shop_id": shop_id, "user_id": i} for i in ids])
        return ids


class Inbox:
    """Collects every message the sink accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, recipient: str, pattern: str, seconds: float = 30.0) -> re.Match[str]:
        """The first match of ``pattern`` in a message to ``recipient``, waiting for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == recipient:
                    body = message.get_payload(decode=True)
                    assert isinstance(body, bytes)
                    found = re.search(pattern, body.decode())
                    assert found, body
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no message for {recipient}")


@contextmanager
def smtp_sink(port: int | None = None) -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on ``port`` (a free one when None) collecting every message."""
    inbox = Inbox()
    port = free_port() if port is None else port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@contextmanager
def mailing_client(settings: Settings, **update: Any) -> Iterator[tuple[TestClient, Inbox]]:
    """A running app (lifespan and all) whose mail reaches a fresh sink, with the sink's
    inbox; ``update`` changes more settings."""
    with smtp_sink() as (inbox, port):
        app = create_app(settings.model_copy(update={"smtp_port": port, **update}))
        with TestClient(app) as client:
            yield client, inbox
