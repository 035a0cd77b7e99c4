from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from liveshop.notifications.models import NotificationKind


class NotificationOut(BaseModel):
    id: int
    kind: NotificationKind
    params: dict[str, Any] | None  # what it says (None: kept before notices had them)
    title: str  # in the request's language (or as stored, without params)
    body: str
    lang: str  # the language of title and body: "en", "zh-CN"
    link: str
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    unread: int
    items: list[NotificationOut]


class KindPreference(BaseModel):
    in_app: bool = True
    email: bool = False


class PreferencesIn(BaseModel):
    # A plain shape check (no email-validator dependency): one @, a dot in the domain.
    email: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"
    )
    kinds: dict[NotificationKind, KindPreference] = Field(default_factory=dict)


class PreferencesOut(BaseModel):
    email: str | None
    kinds: dict[NotificationKind, KindPreference]


class MarkedRead(BaseModel):
    marked: int
    unread: int


class FollowsOut(BaseModel):
    hosts: list[int]
    shops: list[int]
    rooms: list[int]  # scheduled rooms I asked to be reminded of
