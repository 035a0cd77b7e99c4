"""The media server's addresses, from the settings: as hosts and viewers reach it,
and as LiveShop reaches it on this machine (statistics, control)."""

from __future__ import annotations

from urllib.parse import urlsplit

from liveshop.core.settings import Settings
from liveshop.media.naming import stream_name
from liveshop.media.server_config import APPLICATION


def ingest_url(settings: Settings) -> str:
    return settings.media_ingest_url.rstrip("/")


def playback_url(settings: Settings, *, room_id: int) -> str:
    return f"{settings.media_public_url.rstrip('/')}/hls/{stream_name(room_id)}.m3u8"


def vod_url(settings: Settings, *, file_name: str) -> str:
    return f"{settings.media_public_url.rstrip('/')}/vod/{file_name}"


def stat_url(settings: Settings) -> str:
    return f"{settings.media_server_url.rstrip('/')}/stat"


def drop_publisher_url(settings: Settings, *, room_id: int) -> str:
    return (
        f"{settings.media_server_url.rstrip('/')}/control/drop/publisher"
        f"?app={APPLICATION}&name={stream_name(room_id)}"
    )


def media_origin(settings: Settings) -> str:
    """The public media server's origin (scheme, host, port), for the pages' CSP."""
    parts = urlsplit(settings.media_public_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
