"""Domain events of enforcement, for the packages above moderation to act on.

Moderation may not import ``live`` or ``payments``, so what changes a room, a
comment or money leaves as one of these, published after commit (core.bus);
``liveshop.wiring`` subscribes the listeners:

- ``live`` acts on :class:`ModerationActionTaken` (a stopped room ends, a muted
  or banned user goes quiet in the room; exposure limits, suspensions and bans
  are asked of moderation each time) and on :class:`ModerationActionRevoked`
  (a revoked mute or ban lets the user talk again);
- ``payments`` books :class:`FineImposed` in the ledger (from what the platform
  owes the shop, or a host without a shop) and reverses it on :class:`FineRevoked`;
- ``live`` takes a :class:`ProductDelisted` product off every shelf and pinned
  card (catalog already withdrew its stock);
- ``reviews`` hides a review whose report was actioned (:class:`ReportActioned`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveshop.core.bus import DomainEvent


@dataclass(frozen=True)
class ModerationActionTaken(DomainEvent):
    """A penalty took effect. ``kind`` is a PenaltyKind value (delete_comment,
    mute, warning, limit_exposure, stop_room, fine, suspension, ban); ``target``
    is what it acts on (``comment`` 7, ``room`` 3, ``user`` 12, ``shop`` 2);
    ``subject`` is whom it counts against; ``until`` None means until revoked."""

    penalty_id: int
    kind: str
    target_type: str
    target_id: int
    subject_type: str
    subject_id: int
    room_id: int | None
    until: datetime | None
    rule: str


@dataclass(frozen=True)
class ModerationActionRevoked(DomainEvent):
    """A penalty was revoked (an appeal overturned it): undo it where possible
    (unmute, restore the room's exposure, lift the suspension or ban)."""

    penalty_id: int
    kind: str
    target_type: str
    target_id: int
    subject_type: str
    subject_id: int
    room_id: int | None


@dataclass(frozen=True)
class FineImposed(DomainEvent):
    """Take ``amount`` (分, ``currency``) from ``shop_id``'s deposit. ``shop_id`` is
    None when the fined host owns no shop: payments decides how that is collected."""

    shop_id: int | None
    amount: int
    penalty_id: int
    currency: str
    subject_type: str
    subject_id: int


@dataclass(frozen=True)
class FineRevoked(DomainEvent):
    """An appeal overturned fine ``penalty_id``: return ``amount`` to the deposit."""

    shop_id: int | None
    amount: int
    penalty_id: int
    currency: str


@dataclass(frozen=True)
class ReportActioned(DomainEvent):
    """A moderator acted on a report: the reported content goes (``reviews`` hides a
    reported review). ``target_type`` is a ReportTarget value."""

    report_id: int
    target_type: str
    target_id: int
    penalty_id: int | None


@dataclass(frozen=True)
class ProductDelisted(DomainEvent):
    """A product failed an inspection and was taken off sale (its stock withdrawn)."""

    product_id: int
    shop_id: int
    inspection_id: int | None
    reason: str
