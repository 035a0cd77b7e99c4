"""How the media server names a room's stream and its files, and the callbacks' secret.

The stream is published as ``room-<id>?key=<secret>``: the media server keeps the
name (``room-<id>``) for the HLS playlist and the recordings, and hands the query's
``key`` to LiveShop's ``on_publish`` callback, so no playlist or file name ever
carries a key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

STREAM_NAME = re.compile(r"room-([1-9][0-9]{0,17})")
# nginx-rtmp's `record_unique on` appends the recording's start (Unix seconds).
RECORDING_NAME = re.compile(r"(room-[1-9][0-9]{0,17})-([0-9]{9,11})\.flv")
CALLBACK_SECRET_CONTEXT = b"liveshop media server callbacks"


def stream_name(room_id: int) -> str:
    return f"room-{room_id}"


def room_of_stream(name: str) -> int | None:
    match = STREAM_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def recording_facts(file_name: str) -> tuple[int, datetime] | None:
    """The room and the start of a recorded FLV file, from its name."""
    match = RECORDING_NAME.fullmatch(file_name)
    if match is None:
        return None
    room_id = room_of_stream(match.group(1))
    if room_id is None:
        return None
    return room_id, datetime.fromtimestamp(int(match.group(2)), UTC)


def hash_stream_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def callback_secret(secret_key: str) -> str:
    """The token in the callback URLs the media server calls: derived from the
    site's secret key, so the server and ``liveshop media run`` agree unconfigured."""
    return hmac.new(secret_key.encode(), CALLBACK_SECRET_CONTEXT, hashlib.sha256).hexdigest()[:40]


def is_callback_secret(given: str, *, secret_key: str) -> bool:
    return hmac.compare_digest(given.encode(), callback_secret(secret_key).encode())
