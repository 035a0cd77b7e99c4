"""Audiences: segments, hashed exports with lookalikes, pushes with a holdout, lift."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from liveshop.accounts.dependencies import CurrentUser
from liveshop.campaigns import access, audiences
from liveshop.core.clock import utcnow
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.validation import PlainText

router = APIRouter(prefix="/api/audiences", tags=["audiences"])


class AudienceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: PlainText = Field(default="all", max_length=40, description="all, or an RFM segment")
    lookalikes: int = Field(default=0, ge=0, le=audiences.MAX_LOOKALIKES)


class ExportIn(AudienceIn):
    platform: audiences.AdPlatform = audiences.AdPlatform.META
    format: Literal["json", "csv"] = "json"


class ExportOut(BaseModel):
    platform: audiences.AdPlatform
    column: str = Field(description="the platform's name for the hashed e-mail column")
    hashing: str
    count: int
    lookalikes: int
    left_out: int = Field(
        description="in the audience, without marketing consent or a confirmed e-mail"
    )
    hashes: list[str]


class PushIn(AudienceIn):
    kind: str = Field(pattern="^(coupon|room_reminder)$")
    target: str = Field(pattern=r"^(room|coupon):[1-9][0-9]{0,8}$")
    message: PlainText = Field(default="", max_length=300)
    holdout_percent: int = Field(default=10, ge=1, le=50)


class PushOut(BaseModel):
    id: int
    kind: str
    target: str
    message: str
    holdout_percent: int
    sent_at: datetime
    recipients: int | None = None


@router.get("/segments")
def segments(user: CurrentUser, session: DbSession, settings: SettingsDep) -> dict[str, int]:
    """Customers per RFM segment (``all``: every buyer of the shop's products)."""
    shop_id = access.shop_to_run_campaigns(session, actor=user)
    profiles = audiences.load_profiles(settings, session, shop_id=shop_id, as_of=utcnow().date())
    return audiences.segment_counts(profiles)


@router.post(
    "/export",
    response_model=ExportOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export(
    body: ExportIn, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> ExportOut | Response:
    """The audience as an ad platform's customer list: SHA-256 of each normalised e-mail
    of those who accept marketing, under the platform's column (``format=csv``: the file
    to upload, one column)."""
    shop_id = access.shop_to_run_campaigns(session, actor=user)
    user_ids, similar = audiences.audience_user_ids(
        settings, session, shop_id=shop_id, segment=body.segment, lookalike_size=body.lookalikes
    )
    found = audiences.email_export(session, user_ids=user_ids, platform=body.platform)
    if body.format == "csv":
        return Response(
            "\n".join([found.column, *found.hashes]) + "\n",
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="audience-{body.platform}.csv"'},
        )
    return ExportOut(
        platform=found.platform,
        column=found.column,
        hashing=audiences.EMAIL_HASHING,
        count=len(found.hashes),
        lookalikes=similar,
        left_out=found.left_out,
        hashes=found.hashes,
    )


@router.post("/pushes", status_code=status.HTTP_201_CREATED)
def push(body: PushIn, user: CurrentUser, session: DbSession, settings: SettingsDep) -> PushOut:
    shop_id = access.shop_to_run_campaigns(session, actor=user)
    user_ids, _similar = audiences.audience_user_ids(
        settings, session, shop_id=shop_id, segment=body.segment, lookalike_size=body.lookalikes
    )
    sent = audiences.send_push(
        session,
        actor=user,
        user_ids=user_ids,
        kind=body.kind,
        target=body.target,
        message=body.message,
        holdout_percent=body.holdout_percent,
    )
    return _push_out(sent, recipients=audiences.recipients_of(session, push=sent))


@router.get("/pushes/{push_id}/lift")
def lift(
    push_id: RowId, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> dict[str, Any]:
    return audiences.push_lift(session, settings, actor=user, push_id=push_id)


def _push_out(found: Any, recipients: int | None = None) -> PushOut:
    return PushOut(
        id=found.id,
        kind=found.kind,
        target=found.target,
        message=found.message,
        holdout_percent=found.holdout_share,
        sent_at=found.sent_at,
        recipients=recipients,
    )
