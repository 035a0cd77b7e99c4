"""The buyer's passkeys over HTTP: register one, list, trust or distrust, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, status

from liveshop.accounts import passkeys
from liveshop.accounts.dependencies import CurrentUser
from liveshop.accounts.models import Passkey
from liveshop.accounts.schemas import PasskeyOut, PasskeyRegisterIn, PasskeyTrustIn
from liveshop.accounts.webauthn_challenges import RelyingParty, relying_party
from liveshop.core.dependencies import DbSession, RowId, SettingsDep

router = APIRouter(prefix="/api/me/passkeys", tags=["accounts"])


def _relying_party(request: Request, settings: SettingsDep) -> RelyingParty:
    return relying_party(
        rp_id=settings.webauthn_rp_id,
        origin=settings.webauthn_origin,
        request_url=str(request.base_url),
    )


RelyingPartyDep = Annotated[RelyingParty, Depends(_relying_party)]
DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="the client's device: a trusted passkey's device pays small sums at once",
    ),
]


def _out(passkey: Passkey, device_id: str | None) -> PasskeyOut:
    out = PasskeyOut.model_validate(passkey)
    out.this_device = device_id is not None and passkey.device_id == device_id
    return out


@router.get("")
def list_passkeys(
    user: CurrentUser, session: DbSession, device_id: DeviceId = None
) -> list[PasskeyOut]:
    return [_out(p, device_id) for p in passkeys.list_passkeys(session, user_id=user.id)]


@router.post("/registration-options")
def registration_options(
    user: CurrentUser, session: DbSession, settings: SettingsDep, rp: RelyingPartyDep
) -> dict[str, Any]:
    """Options for ``navigator.credentials.create`` (a fresh challenge, 2 minutes)."""
    return passkeys.registration_options(
        session, user=user, rp=rp, secret_key=settings.resolved_secret_key()
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def add_passkey(
    body: PasskeyRegisterIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    rp: RelyingPartyDep,
    device_id: DeviceId = None,
) -> PasskeyOut:
    passkey = passkeys.add_passkey(
        session,
        user=user,
        credential=body.credential,
        name=body.name,
        trusted=body.trusted,
        device_id=device_id,
        rp=rp,
        secret_key=settings.resolved_secret_key(),
    )
    return _out(passkey, device_id)


@router.patch("/{passkey_id}")
def set_trusted(
    passkey_id: RowId,
    body: PasskeyTrustIn,
    user: CurrentUser,
    session: DbSession,
    device_id: DeviceId = None,
) -> PasskeyOut:
    passkey = passkeys.set_trusted(session, user=user, passkey_id=passkey_id, trusted=body.trusted)
    return _out(passkey, device_id)


@router.delete("/{passkey_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_passkey(passkey_id: RowId, user: CurrentUser, session: DbSession) -> None:
    passkeys.revoke_passkey(session, user=user, passkey_id=passkey_id)
