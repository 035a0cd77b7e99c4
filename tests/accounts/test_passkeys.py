"""Passkeys: registration and assertions checked against a software authenticator,
challenges single use and bound to what they confirm, one buyer's passkeys hidden
from another, trust and revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from liveshop.accounts import passkeys
from liveshop.accounts.models import Passkey, User, WebAuthnChallenge
from liveshop.accounts.webauthn_challenges import RelyingParty, relying_party
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from tests.accounts.soft_authenticator import USER_PRESENT, SoftAuthenticator
from tests.conftest import SECRET_KEY
from tests.payments.money import new_account

RP = RelyingParty(rp_id="localhost", origin="http://localhost:8000")
PHONE = "phone-passkey-1"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: nothing here depends on the database's dialect."""
    return sqlite_url


def register(
    database_url: str, user_id: int, authenticator: SoftAuthenticator, *, trusted: bool = False
) -> int:
    with unit_of_work(database_url) as session:
        user = session.get_one(User, user_id)
        options = passkeys.registration_options(session, user=user, rp=RP, secret_key=SECRET_KEY)
    with unit_of_work(database_url) as session:
        passkey = passkeys.add_passkey(
            session,
            user=session.get_one(User, user_id),
            credential=authenticator.register(options),
            name="手机",
            trusted=trusted,
            device_id=PHONE,
            rp=RP,
            secret_key=SECRET_KEY,
        )
        return passkey.id


def options_for(database_url: str, user_id: int, binding: str) -> dict[str, Any]:
    with unit_of_work(database_url) as session:
        return passkeys.assertion_options(
            session, user_id=user_id, subject="test", binding=binding, rp=RP, secret_key=SECRET_KEY
        )


def verify(database_url: str, user_id: int, credential: dict[str, Any], binding: str) -> bool:
    with unit_of_work(database_url) as session:
        signed_by = passkeys.verify_assertion(
            session,
            user_id=user_id,
            credential=credential,
            subject="test",
            binding=binding,
            rp=RP,
            secret_key=SECRET_KEY,
        )
        return signed_by is not None


def test_a_registered_passkey_signs_an_assertion_for_its_binding(database_url: str) -> None:
    buyer = new_account(database_url).id
    authenticator = SoftAuthenticator(origin=RP.origin)
    passkey_id = register(database_url, buyer, authenticator)

    options = options_for(database_url, buyer, "payment:1:amount:100")
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert verify(database_url, buyer, authenticator.sign(options), "payment:1:amount:100")
    with unit_of_work(database_url) as session:
        passkey = session.get_one(Passkey, passkey_id)
        assert (passkey.sign_count, passkey.last_used_at is not None) == (1, True)


def test_an_assertion_for_another_binding_or_used_twice_is_refused(database_url: str) -> None:
    buyer = new_account(database_url).id
    authenticator = SoftAuthenticator(origin=RP.origin)
    register(database_url, buyer, authenticator)

    signed = authenticator.sign(options_for(database_url, buyer, "payment:1:amount:100"))
    assert not verify(database_url, buyer, signed, "payment:1:amount:999")  # the amount changed
    with pytest.raises(Conflict, match="no passkey challenge"):  # the challenge is used up
        verify(database_url, buyer, signed, "payment:1:amount:100")

    replayed = authenticator.sign(options_for(database_url, buyer, "payment:2"))
    assert verify(database_url, buyer, replayed, "payment:2")
    options_for(database_url, buyer, "payment:2")  # a new challenge: the old one is not it
    assert not verify(database_url, buyer, replayed, "payment:2")


def test_an_expired_challenge_or_one_without_user_verification_is_refused(
    database_url: str,
) -> None:
    buyer = new_account(database_url).id
    authenticator = SoftAuthenticator(origin=RP.origin)
    register(database_url, buyer, authenticator)

    options = options_for(database_url, buyer, "b")
    with unit_of_work(database_url) as session:
        session.execute(
            update(WebAuthnChallenge).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(Conflict):
        verify(database_url, buyer, authenticator.sign(options), "b")

    presence_only = authenticator.sign(options_for(database_url, buyer, "b"), flags=USER_PRESENT)
    assert not verify(database_url, buyer, presence_only, "b")


def test_registration_checks_the_origin_and_is_single_use(database_url: str) -> None:
    buyer = new_account(database_url).id
    elsewhere = SoftAuthenticator(origin="http://evil.example")
    with pytest.raises(InvalidInput, match="not accepted"):
        register(database_url, buyer, elsewhere)

    authenticator = SoftAuthenticator(origin=RP.origin)
    with unit_of_work(database_url) as session:
        user = session.get_one(User, buyer)
        options = passkeys.registration_options(session, user=user, rp=RP, secret_key=SECRET_KEY)
    answer = authenticator.register(options)

    def register_answer() -> None:
        with unit_of_work(database_url) as session:
            passkeys.add_passkey(
                session,
                user=session.get_one(User, buyer),
                credential=answer,
                name="手机",
                trusted=False,
                device_id=None,
                rp=RP,
                secret_key=SECRET_KEY,
            )

    register_answer()
    with pytest.raises(Conflict, match="no registration"):
        register_answer()  # the same answer again: its challenge is spent


def test_another_buyers_passkey_does_not_exist_for_them(database_url: str) -> None:
    owner, stranger = new_account(database_url).id, new_account(database_url).id
    owner_key = SoftAuthenticator(origin=RP.origin)
    passkey_id = register(database_url, owner, owner_key, trusted=True)

    with unit_of_work(database_url) as session:
        other = session.get_one(User, stranger)
        assert passkeys.list_passkeys(session, user_id=stranger) == []
        with pytest.raises(NotFound):
            passkeys.revoke_passkey(session, user=other, passkey_id=passkey_id)
        with pytest.raises(NotFound):
            passkeys.set_trusted(session, user=other, passkey_id=passkey_id, trusted=False)
    # The stranger's assertion made with the owner's key: the key is not theirs.
    register(database_url, stranger, SoftAuthenticator(origin=RP.origin))
    signed = owner_key.sign(options_for(database_url, stranger, "x"))
    assert not verify(database_url, stranger, signed, "x")


def test_trust_follows_the_device_and_revocation_removes_it(database_url: str) -> None:
    buyer = new_account(database_url).id
    passkey_id = register(database_url, buyer, SoftAuthenticator(origin=RP.origin), trusted=True)
    with unit_of_work(database_url) as session:
        assert passkeys.is_trusted_device(session, user_id=buyer, device_id=PHONE)
        assert not passkeys.is_trusted_device(session, user_id=buyer, device_id="laptop-0001")
        passkeys.revoke_passkey(session, user=session.get_one(User, buyer), passkey_id=passkey_id)
        assert not passkeys.is_trusted_device(session, user_id=buyer, device_id=PHONE)


def test_the_relying_party_comes_from_settings_or_the_request() -> None:
    derived = relying_party(rp_id=None, origin=None, request_url="http://localhost:8123/")
    assert derived == RelyingParty(rp_id="localhost", origin="http://localhost:8123")
    configured = relying_party(
        rp_id="shop.example", origin="https://shop.example", request_url="http://10.0.0.5/"
    )
    assert (configured.rp_id, configured.origin) == ("shop.example", "https://shop.example")
