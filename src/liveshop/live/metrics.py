"""Prometheus metrics of the real-time hub (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

connections = Gauge("liveshop_connections", "open WebSocket and SSE connections")
frames_built = Counter("liveshop_frames_built_total", "room frames built (one per room per tick)")
frames_sent = Counter("liveshop_frames_sent_total", "frames handed to clients")
frames_shared = Counter(
    "liveshop_frames_shared_total", "frames written to a socket as the tick's shared bytes"
)
frames_skipped = Counter(
    "liveshop_frames_skipped_total", "frames a slow client skipped (its queue was full)"
)
clients_dropped = Counter(
    "liveshop_clients_dropped_total", "clients closed for being too far behind"
)
comments_in = Counter("liveshop_comments_in_total", "comments received from clients")
comments_out = Counter("liveshop_comments_out_total", "comment lines put into frames")
comments_folded = Counter("liveshop_comments_folded_total", "comments folded into a count")
comments_sampled_out = Counter(
    "liveshop_comments_sampled_out_total", "comments left out of frames under heavy chat"
)
comments_masked = Counter(
    "liveshop_comments_masked_total", "comments shown with moderated words starred"
)
comments_held = Counter(
    "liveshop_comments_held_total", "comments held back from the room for review"
)
likes_in = Counter("liveshop_likes_in_total", "likes received")
messages_rejected = Counter(
    "liveshop_messages_rejected_total", "client messages refused", ["reason"]
)
