"""The pages that play live video let hls.js reach the media server."""

from __future__ import annotations

from fastapi.responses import Response

from liveshop.core.security import CONTENT_SECURITY_POLICY
from liveshop.core.settings import Settings
from liveshop.media.addresses import media_origin


def allow_media_connections(response: Response, settings: Settings) -> Response:
    """The page's CSP with the media server's origin in ``connect-src``: hls.js fetches
    the playlist and its segments from there (``media-src`` already allows it)."""
    origin = media_origin(settings)
    if origin:
        response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY.replace(
            "connect-src 'self'", f"connect-src 'self' {origin}"
        )
    return response
