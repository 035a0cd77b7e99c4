from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from liveshop.core.validation import PlainText


class FaqIn(BaseModel):
    question: PlainText = Field(min_length=1, max_length=300)
    answer: PlainText = Field(min_length=1, max_length=1000)


class FaqListIn(BaseModel):
    entries: list[FaqIn] = Field(max_length=200)


class FaqOut(BaseModel):
    id: int
    question: str
    answer: str
    source: str


class SwitchIn(BaseModel):
    enabled: bool


class CorrectionIn(BaseModel):
    reply_id: int = Field(ge=1, le=2**31 - 1)
    answer: PlainText = Field(min_length=1, max_length=1000)


class ReplyOut(BaseModel):
    id: int
    text: str
    answered: bool
    fact: str
    answer: str | None
    suggestion: str | None
    confidence: float
    question_id: int | None
    corrected_faq_id: int | None
    created_at: datetime


class RoomAssistantOut(BaseModel):
    room_id: int
    enabled: bool
    replies: list[ReplyOut]
    insights: dict[str, Any]
