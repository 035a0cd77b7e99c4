"""What recommendations hold about a person, for privacy's erasure.

A model keeps, per viewer who allowed personalisation, a row of candidates and the
hosts they watched, under their pseudonym; every kept version does (a rollback
must not bring an erased viewer back), so each is edited (``model_store``). The
session's actions go too: from Redis when the workers share it; in-process ones
belong to a worker the erasure cannot reach, and lapse with the session (the
erased account can make no more requests).
"""

from __future__ import annotations

from liveshop.events.recorder import pseudonymous_id
from liveshop.privacy.registry import DataSubject
from liveshop.recommend import model_store
from liveshop.recommend.sessions import RedisSessionActivity


def erase_recommendations(subject: DataSubject) -> dict[str, int]:
    """Outside the database's transaction, as the behaviour store's eraser is: the
    person asked for it, so it stands even if the rest of the erasure failed."""
    settings = subject.settings
    viewer = pseudonymous_id(subject.user_id, settings.resolved_secret_key())
    actions = 0
    if settings.redis_url:
        actions = RedisSessionActivity.from_url(settings.redis_url).forget(viewer)
    return {
        "model_versions": model_store.erase_viewer(settings.home, viewer),
        "session_actions": actions,
    }
