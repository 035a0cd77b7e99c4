"""What media does when other domains change: a room that ends stops taking video."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from liveshop.core.settings import Settings
from liveshop.live.events import RoomStatusChanged
from liveshop.media.addresses import drop_publisher_url

logger = logging.getLogger(__name__)
CONTROL_TIMEOUT_SECONDS = 2.0


class DropPublisherOnRoomEnd:
    """When a room ends, the media server drops its publisher: the recording closes
    (``on_record_done`` follows, and the replay is remuxed), and the key is refused
    from then on (``streams.authorise_publish``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, event: RoomStatusChanged) -> None:
        if event.status != "ended":
            return
        url = drop_publisher_url(self.settings, room_id=event.room_id)
        try:
            with urllib.request.urlopen(url, timeout=CONTROL_TIMEOUT_SECONDS):
                pass
        except (urllib.error.URLError, OSError) as error:
            # no media server here, or no publisher: nothing to drop
            logger.debug("dropping the publisher of room %s: %s", event.room_id, error)
