"""What moderation learns from the domains above it, registered with ``liveshop.moderation``.

``moderation`` (layer 2) may not import ``live``, so this top-layer module
(imported once by the app, the CLI and the tests) registers live's evidence
source: a reported comment is captured with its author, room, time and the chat
around it.
"""

from __future__ import annotations

from liveshop.live.moderation_evidence import register_comment_evidence

register_comment_evidence()
