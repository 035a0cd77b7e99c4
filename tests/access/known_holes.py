"""Cells of the access table that fail today, in files this walk's author does not
own: the room's real-time edge (live/realtime.py and live/connection.py). Each is
an expected failure (strict): when the fix lands the cell passes, the strict mark
fails, and its entry comes out of this list.
"""

from __future__ import annotations

SILENT_REGULATOR = (
    "a regulator writes nothing in a room: the chat and likes of the HTTP fallback (and "
    "of the WebSocket) should call live.access.require_participant "
    "(live/connection.py, ViewerSession.comment and .like)"
)

KNOWN_HOLES: dict[tuple[str, str, str], str] = {
    ("POST", "/api/rooms/{room_id}/chat", "regulator"): SILENT_REGULATOR,
    ("POST", "/api/rooms/{room_id}/likes", "regulator"): SILENT_REGULATOR,
}
