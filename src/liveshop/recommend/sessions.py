"""What a viewer did in the last half hour, in memory, so the next recommendations
follow within seconds (the trained model is minutes to hours old).

The app's recorder is a :class:`RecorderWithSessions`: every event it buffers is
also noted here under the viewer's pseudonym (the model's key). Per process:
with several workers a viewer's session is seen by the worker that took the event.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liveshop.events.recorder import EventRecorder, EventType, pseudonymous_id

SESSION_SECONDS = 30 * 60  # a session is the last half hour
PER_VIEWER = 20  # the most recent actions kept per viewer
MAX_VIEWERS = 200_000  # beyond this the least recently active are forgotten
NOTED = frozenset({
    EventType.VIEW, EventType.PRODUCT_CLICK, EventType.CART, EventType.PURCHASE,
    EventType.SHARE, EventType.JOIN,
})  # fmt: skip


@dataclass(frozen=True)
class Action:
    kind: str
    product_id: int | None
    room_id: int | None
    at: float  # time.time()


class SessionActivity:
    def __init__(self, *, seconds: float = SESSION_SECONDS, max_viewers: int = MAX_VIEWERS):
        self.seconds = seconds
        self.max_viewers = max_viewers
        self._actions: OrderedDict[str, deque[Action]] = OrderedDict()

    def note(self, viewer: str, action: Action) -> None:
        actions = self._actions.get(viewer)
        if actions is None:
            if len(self._actions) >= self.max_viewers:
                self._actions.popitem(last=False)
            actions = self._actions[viewer] = deque(maxlen=PER_VIEWER)
        else:
            self._actions.move_to_end(viewer)
        actions.append(action)

    def recent(self, viewer: str, *, now: float | None = None) -> list[Action]:
        """The viewer's actions of this session, newest first."""
        cutoff = (time.time() if now is None else now) - self.seconds
        return [a for a in reversed(self._actions.get(viewer, ())) if a.at >= cutoff]

    def forget(self, viewer: str) -> None:
        self._actions.pop(viewer, None)


class RecorderWithSessions(EventRecorder):
    """The behaviour recorder that also feeds :class:`SessionActivity`."""

    def __init__(self, path: Path, secret_key: str, activity: SessionActivity) -> None:
        super().__init__(path, secret_key)
        self.activity = activity

    def record(
        self,
        event_type: EventType,
        *,
        user: int | str | None,
        room_id: int | None = None,
        product_id: int | None = None,
        **properties: Any,
    ) -> None:
        super().record(event_type, user=user, room_id=room_id, product_id=product_id, **properties)
        if user is not None and event_type in NOTED:
            self.activity.note(
                pseudonymous_id(user, self.secret_key),
                Action(event_type.value, product_id, room_id, time.time()),
            )
