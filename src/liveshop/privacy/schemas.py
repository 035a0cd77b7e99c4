from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from liveshop.privacy.consents import Purpose


class ConsentIn(BaseModel):
    purpose: Purpose
    policy_version: str = Field(min_length=1, max_length=40)
    acknowledge_sensitive: bool = Field(
        default=False,
        description="required for sensitive purposes (stored_cards, location): their own consent",
    )


class ConsentOut(BaseModel):
    purpose: Purpose
    policy_version: str
    granted_at: datetime
    withdrawn_at: datetime | None


class ConsentStatusOut(BaseModel):
    purpose: Purpose
    sensitive: bool
    current_policy_version: str
    granted: bool
    policy_version: str | None
    granted_at: datetime | None
    withdrawn_at: datetime | None


class ErasureIn(BaseModel):
    password: str = Field(min_length=1, max_length=256, description="confirms it is you")


class ErasureOut(BaseModel):
    user_id: int
    erased: dict[str, dict[str, int]]
