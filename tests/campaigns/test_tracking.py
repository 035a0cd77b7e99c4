"""The attribution middleware's reading of requests, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from liveshop.campaigns.models import TouchKind
from liveshop.campaigns.tracking import AttributionTouches, TouchRecorder, parse_attribution
from liveshop.core.settings import Settings
from tests.conftest import SECRET_KEY


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    return None


@pytest.fixture
def middleware() -> AttributionTouches:
    return AttributionTouches(_inner, TouchRecorder(Settings(secret_key=SECRET_KEY)))


def _scope(path: str, *headers: tuple[bytes, bytes], method: str = "GET") -> dict[str, Any]:
    return {"type": "http", "path": path, "method": method, "headers": list(headers)}


def test_codes_and_visitors_are_checked() -> None:
    assert parse_attribution("abcd2345.0123456789abcdef", credential=None) == (
        "abcd2345",
        "0123456789abcdef",
    )
    code, visitor = parse_attribution("abcd2345", credential="token") or ("", "")
    assert (code, len(visitor)) == ("abcd2345", 16)  # derived from the caller
    assert parse_attribution("abcd2345", credential=None) == ("abcd2345", "anonymous")
    assert parse_attribution("<script>", credential=None) is None
    assert parse_attribution("ab", credential=None) is None


def test_room_reads_are_visits_and_repeats_are_dropped(middleware: AttributionTouches) -> None:
    cookie = (b"cookie", b"theme=dark; liveshop_session=sess; ls_attr=abcd2345.0123456789abcdef")
    middleware._note(_scope("/rooms/12", cookie))
    middleware._note(_scope("/api/rooms/12", cookie))
    middleware._note(_scope("/rooms/12", cookie))  # a repeat within the half hour
    middleware._note(_scope("/api/orders", cookie, method="POST"))
    middleware._note(_scope("/static/app.css", cookie))  # assets are no touch
    middleware._note(_scope("/api/orders", (b"x-attribution", b"zzzz9999")))
    middleware._note(_scope("/api/orders", (b"accept", b"*/*")))  # nothing to attribute
    pending = middleware.recorder.pending
    assert [(t.code, t.kind, t.room_id, t.credential) for t in pending] == [
        ("abcd2345", TouchKind.VISIT, 12, "sess"),
        ("abcd2345", TouchKind.CALL, None, "sess"),
        ("zzzz9999", TouchKind.CALL, None, None),
    ]


def test_a_bearer_token_is_the_caller(middleware: AttributionTouches) -> None:
    middleware._note(
        _scope(
            "/api/products/3", (b"authorization", b"Bearer tok"), (b"x-attribution", b"abcd2345")
        )
    )
    assert middleware.recorder.pending[0].credential == "tok"
