"""The host console's video panel in Chromium, with OBS played by ffmpeg: the ingest URL
and a stream key masked until revealed, "go live" that waits for the picture, and the
stream's health (frame rate, size) once it arrives, read from the media server."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from liveshop.accounts.models import Role
from tests.web.conftest import LiveServer, PageOpener
from tests.web.test_live_video import (  # the same nginx fixture, on this module's ports
    RTMP_PORT,
    SERVER_ENVIRONMENT,
    _stop,
    _wait_for,
    media_server,
    publish,
    pytestmark,
)

__all__ = ["SERVER_ENVIRONMENT", "media_server", "pytestmark"]
MASK = "•" * 16


def test_the_host_reveals_the_key_goes_live_and_sees_the_streams_health(
    server: LiveServer, media_server: Path, new_page: PageOpener
) -> None:
    host = server.create_user(server.unique("host"), Role.HOST)
    room_id = server.create_room(host, title="OBS 开播", start=False)
    page = new_page(host, f"/host/rooms/{room_id}")
    key_field = page.locator("#stream-key")

    page.locator("#stream-key-new").click()
    expect(page.locator("#ingest-url")).to_have_value(f"rtmp://127.0.0.1:{RTMP_PORT}/live")
    expect(key_field).to_have_value(MASK)
    page.locator("#stream-key-reveal").click()
    expect(key_field).not_to_have_value(MASK)
    stream_key = key_field.input_value()
    page.locator("#stream-key-reveal").click()
    expect(key_field).to_have_value(MASK)

    page.locator("#go-live-btn").click()
    expect(page.locator("#go-live-state")).not_to_be_empty()
    assert server.api(host, "GET", f"/api/rooms/{room_id}")["status"] == "scheduled"
    obs = publish(stream_key)
    try:
        expect(page.locator("#stream-state")).to_have_attribute(
            "data-state", "live", timeout=30_000
        )
        expect(page.locator("#stream-fps")).to_have_text("25 fps", timeout=15_000)
        # nginx-rtmp reports the coded size: H.264 rounds 360 lines up to whole macroblocks
        expect(page.locator("#stream-size")).to_have_text(re.compile(r"^640×3[56][0-9]$"))
        _wait_for(
            lambda: server.api(host, "GET", f"/api/rooms/{room_id}")["status"] == "live",
            15,
            "the room started when the picture arrived",
        )
        expect(page.locator("#go-live-btn")).to_be_disabled(timeout=15_000)
    finally:
        _stop(obs)
    assert new_page.errors[page] == []
