"""A buyer's passkeys (WebAuthn): registering one, checking an assertion, listing,
trusting and revoking them.

Registration and assertions are checked by the ``webauthn`` library against a
challenge from ``webauthn_challenges`` (single use, short-lived, bound to what it
confirms). User verification is required: a passkey stands in for the TOTP code,
so it must prove the person (PIN or biometrics), not only the device.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from liveshop.accounts.models import Passkey, User
from liveshop.accounts.webauthn_challenges import RelyingParty, issue_challenge, take_challenge
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, NotFound

REGISTER = "register"
MAX_PASSKEYS = 10  # per buyer
TIMEOUT_MS = 60_000


def _registration_binding(user: User) -> str:
    return f"register:{user.id}"


def list_passkeys(session: Session, *, user_id: int) -> list[Passkey]:
    return list(
        session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id))
    )


def own_passkey(session: Session, *, user: User, passkey_id: int) -> Passkey:
    """The user's own passkey; anyone else's does not exist for them (404)."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound(f"passkey {passkey_id} not found", code="passkey_not_found")
    return passkey


def registration_options(
    session: Session, *, user: User, rp: RelyingParty, secret_key: str
) -> dict[str, Any]:
    """What ``navigator.credentials.create`` takes (as JSON, binary fields base64url)."""
    existing = list_passkeys(session, user_id=user.id)
    if len(existing) >= MAX_PASSKEYS:
        raise Conflict(f"at most {MAX_PASSKEYS} passkeys", code="too_many_passkeys")
    challenge = issue_challenge(
        session,
        user_id=user.id,
        subject=REGISTER,
        binding=_registration_binding(user),
        secret_key=secret_key,
    )
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=f"liveshop-user-{user.id}".encode(),
        user_name=user.username,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    return dict(orjson.loads(options_to_json(options)))


def add_passkey(
    session: Session,
    *,
    user: User,
    credential: dict[str, Any],
    name: str,
    trusted: bool,
    device_id: str | None,
    rp: RelyingParty,
    secret_key: str,
) -> Passkey:
    """Check the authenticator's answer to the registration challenge and keep the key.
    A trusted passkey needs the device it was made on (``device_id``)."""
    if trusted and device_id is None:
        raise InvalidInput("a trusted device names itself (X-Device-Id)", code="device_required")
    expected = take_challenge(
        session,
        user_id=user.id,
        subject=REGISTER,
        binding=_registration_binding(user),
        secret_key=secret_key,
    )
    if expected is None:
        raise Conflict("no registration under way, or it expired", code="no_passkey_challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        message = f"the passkey was not accepted: {error}"
        raise InvalidInput(message, code="passkey_invalid") from error
    passkey = Passkey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        device_id=device_id,
        trusted=trusted,
    )
    try:
        with session.begin_nested():
            session.add(passkey)
            session.flush()
    except IntegrityError as error:
        raise Conflict("this passkey is registered already", code="passkey_exists") from error
    return passkey


def assertion_options(
    session: Session,
    *,
    user_id: int,
    subject: str,
    binding: str,
    rp: RelyingParty,
    secret_key: str,
) -> dict[str, Any]:
    """What ``navigator.credentials.get`` takes to confirm ``binding`` with a passkey."""
    passkeys = list_passkeys(session, user_id=user_id)
    if not passkeys:
        raise Conflict("no passkey registered", code="no_passkey")
    challenge = issue_challenge(
        session, user_id=user_id, subject=subject, binding=binding, secret_key=secret_key
    )
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in passkeys],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return dict(orjson.loads(options_to_json(options)))


def verify_assertion(
    session: Session,
    *,
    user_id: int,
    credential: dict[str, Any],
    subject: str,
    binding: str,
    rp: RelyingParty,
    secret_key: str,
) -> Passkey | None:
    """The user's passkey that signed the challenge issued for ``subject`` under
    ``binding`` (the challenge is used up either way); None if it did not."""
    expected = take_challenge(
        session, user_id=user_id, subject=subject, binding=binding, secret_key=secret_key
    )
    if expected is None:
        raise Conflict("no passkey challenge under way, or it expired", code="no_passkey_challenge")
    passkey = _passkey_of(session, user_id=user_id, credential=credential)
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    session.flush()
    return passkey


def _passkey_of(session: Session, *, user_id: int, credential: dict[str, Any]) -> Passkey | None:
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId") or credential["id"]))
    except (KeyError, ValueError):
        return None
    return session.scalars(
        select(Passkey).where(Passkey.user_id == user_id, Passkey.credential_id == credential_id)
    ).first()


def set_trusted(session: Session, *, user: User, passkey_id: int, trusted: bool) -> Passkey:
    passkey = own_passkey(session, user=user, passkey_id=passkey_id)
    if trusted and passkey.device_id is None:
        raise InvalidInput("this passkey names no device to trust", code="device_required")
    passkey.trusted = trusted
    session.flush()
    return passkey


def revoke_passkey(session: Session, *, user: User, passkey_id: int) -> None:
    """Gone at once: it confirms no payment and trusts no device any more."""
    session.delete(own_passkey(session, user=user, passkey_id=passkey_id))
    session.flush()


def is_trusted_device(session: Session, *, user_id: int, device_id: str | None) -> bool:
    if device_id is None:
        return False
    found = session.scalar(
        select(Passkey.id)
        .where(Passkey.user_id == user_id, Passkey.device_id == device_id, Passkey.trusted)
        .limit(1)
    )
    return found is not None
