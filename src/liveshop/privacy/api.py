"""The caller's own privacy: consents, export and erasure (``/api/me``)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from liveshop.accounts.dependencies import SESSION_COOKIE, CurrentUser, bearer_scheme
from liveshop.accounts.service import token_cache
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.privacy import consents, erasure, export
from liveshop.privacy.consents import Purpose
from liveshop.privacy.schemas import (
    ConsentIn,
    ConsentOut,
    ConsentStatusOut,
    ErasureIn,
    ErasureOut,
)


class BufferedRecorder(Protocol):
    """The behaviour-event recorder the app keeps (``events.recorder.EventRecorder``),
    as far as erasure needs it: ``events`` imports ``privacy`` for its hooks, so
    ``privacy`` does not import ``events``."""

    async def flush(self) -> None: ...


router = APIRouter(prefix="/api/me", tags=["privacy"])


@router.get("/consents")
def list_consents(user: CurrentUser, session: DbSession) -> list[ConsentStatusOut]:
    """Every purpose, whether it is granted under the current policy, and when."""
    return [
        ConsentStatusOut.model_validate(dataclasses.asdict(status_))
        for status_ in consents.consent_statuses(session, user_id=user.id)
    ]


@router.post("/consents", status_code=status.HTTP_201_CREATED)
def grant_consent(
    body: ConsentIn, user: CurrentUser, session: DbSession, response: Response
) -> ConsentOut:
    consent, created = consents.grant_consent(
        session,
        user_id=user.id,
        purpose=body.purpose,
        policy_version=body.policy_version,
        acknowledge_sensitive=body.acknowledge_sensitive,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return ConsentOut.model_validate(consent, from_attributes=True)


@router.delete("/consents/{purpose}", status_code=status.HTTP_204_NO_CONTENT)
def withdraw_consent(
    purpose: Annotated[Purpose, Path()], user: CurrentUser, session: DbSession
) -> Response:
    """One step, as granting: withdrawing what was not granted changes nothing."""
    consents.withdraw_consent(session, user_id=user.id, purpose=purpose)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/export")
def export_my_data(user: CurrentUser, session: DbSession, settings: SettingsDep) -> dict[str, Any]:
    """All of the caller's data as JSON (phones masked, cards as brand and last four)."""
    return export.export_user_data(session, user_id=user.id, settings=settings)


@router.post("/erase")
async def erase_my_account(
    body: ErasureIn,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> ErasureOut:
    """Erase the caller's account, confirmed with the password: what is under legal
    hold stays, unlinked from the name; everything else goes. The caller's tokens
    are revoked, so this is the last request they make."""
    sales = getattr(request.app.state, "platform_sales", None)
    if sales is not None:
        await asyncio.to_thread(sales.drain)  # the caller's last sales reach the recorder
    recorder: BufferedRecorder | None = getattr(request.app.state, "recorder", None)
    if recorder is not None:
        await recorder.flush()  # buffered behaviour events land first, then are erased

    def erase() -> erasure.Erasure:
        database_url = settings.resolved_database_url()
        with unit_of_work(database_url, writes=False) as session:
            erasure.confirm_password(session, user_id=user.id, password=body.password)
        with unit_of_work(database_url) as session:
            return erasure.erase_my_account(session, user_id=user.id, settings=settings)

    erased = await asyncio.to_thread(erase)
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE, "")
    token_cache.forget(token)
    return ErasureOut(user_id=erased.user_id, erased=erased.erased)
