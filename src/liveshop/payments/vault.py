"""The card vault: card numbers under envelope encryption, revealed only with an audit row.

Each card number is encrypted with AES-256-GCM under its own random data key;
the data key is stored wrapped (AES-256-GCM) by the master key, whose version
is recorded on the row. Rotating the master key re-wraps every data key in
one transaction; the numbers themselves are never re-encrypted. The rest of
LiveShop sees only the random token; the only way back to a number is
:func:`reveal_number`, which records who asked, why and when.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from liveshop.core.audit.log import append_audit
from liveshop.core.bus import call_before_commit
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.errors import InvalidInput, LiveShopError, NotFound
from liveshop.payments.models import VaultAudit, VaultCard, VaultMasterKey

NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far beyond our volume
TOKEN_PREFIX = "tok_"


class VaultKeyMismatch(LiveShopError):
    """The configured master key is not the vault's active key (rotated elsewhere?)."""

    status_code = 503
    code = "vault_key_mismatch"


class VaultIntegrityError(LiveShopError):
    status_code = 500
    code = "vault_integrity"


@dataclass(frozen=True)
class MasterKey:
    """A 32-byte master key; ``key_id`` names it without revealing it."""

    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValueError("a vault master key is 32 bytes")

    @property
    def key_id(self) -> str:
        return hmac.new(self.raw, b"liveshop vault key id", hashlib.sha256).hexdigest()[:32]

    def fingerprint_key(self) -> bytes:
        """A separate key for card fingerprints, so the master key is never an HMAC key."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"liveshop card fingerprint v1"
        ).derive(self.raw)

    @staticmethod
    def generate() -> MasterKey:
        return MasterKey(AESGCM.generate_key(bit_length=256))


def card_fingerprint(master: MasterKey, number: str) -> str:
    """A keyed HMAC-SHA256 of the number: equal for the same card, useless without the key."""
    return hmac.new(master.fingerprint_key(), number.encode(), hashlib.sha256).hexdigest()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


def _wrap_aad(token: str, version: int) -> bytes:
    # Bound to the row and the key version: a wrapped key copied to another row fails.
    return f"liveshop data key|{token}|v{version}".encode()


def _number_aad(token: str) -> bytes:
    return f"liveshop card number|{token}".encode()


def active_master_version(session: Session, *, master: MasterKey) -> int:
    """The active master key version, checked against ``master``.

    The first use records the configured key as version 1. The row is read
    with a share lock, so a rotation (which updates it) waits for cards being
    stored and they are never wrapped by a key that has just been retired.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(VaultMasterKey)
        .values(version=1, key_id=master.key_id, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    active = session.scalars(
        select(VaultMasterKey).where(VaultMasterKey.retired_at.is_(None)).with_for_update(read=True)
    ).one()
    if active.key_id != master.key_id:
        raise VaultKeyMismatch(
            f"the configured vault master key is not the active key (version {active.version}); "
            "was the key rotated without updating LIVESHOP_VAULT_MASTER_KEY?"
        )
    return active.version


def store_card(session: Session, *, master: MasterKey, number: str) -> str:
    """Encrypt and keep a card number; returns its random token."""
    version = active_master_version(session, master=master)
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    data_key = AESGCM.generate_key(bit_length=256)
    session.add(
        VaultCard(
            token=token,
            wrapped_data_key=_seal(master.raw, data_key, _wrap_aad(token, version)),
            master_version=version,
            number_ciphertext=_seal(data_key, number.encode(), _number_aad(token)),
        )
    )
    session.flush()
    return token


def _card(session: Session, token: str) -> VaultCard:
    card = session.scalars(select(VaultCard).where(VaultCard.token == token)).first()
    if card is None:
        raise NotFound("no such card in the vault", code="vault_card_not_found")
    return card


def _decrypt(card: VaultCard, master: MasterKey) -> tuple[bytes, str]:
    """The card's data key and number; a wrong key or a tampered row fails loudly."""
    try:
        data_key = _open(
            master.raw, card.wrapped_data_key, _wrap_aad(card.token, card.master_version)
        )
        return data_key, _open(data_key, card.number_ciphertext, _number_aad(card.token)).decode()
    except InvalidTag as error:
        raise VaultIntegrityError(
            "a vault card does not decrypt under this master key", code="vault_decrypt_failed"
        ) from error


def _audit(session: Session, *, action: str, token: str | None, actor: str, reason: str) -> None:
    if not actor.strip() or not reason.strip():
        raise InvalidInput("the vault needs an actor and a reason", code="vault_reason_missing")
    session.add(VaultAudit(action=action, token=token, actor=actor[:100], reason=reason[:300]))
    session.flush()


def reveal_number(
    session: Session, *, master: MasterKey, token: str, actor: str, reason: str
) -> str:
    """The card number behind ``token``, for the gateway only; writes an audit row
    (in the caller's transaction: a reveal that does not commit leaves no trace,
    and hands nothing out either, since the number is returned only on success)."""
    active_master_version(session, master=master)
    card = _card(session, token)
    _audit(session, action="reveal", token=token, actor=actor, reason=reason)
    _chain_at_commit(session, actor=actor, token=token, reason=reason)
    return _decrypt(card, master)[1]


def _chain_at_commit(session: Session, *, actor: str, token: str, reason: str) -> None:
    """Copy the reveal into the hash-chained audit log in the same transaction, at its
    commit: the chain's head lock is then never held across the gateway call, which
    would put every card payment in one queue."""

    def append(committing: Session) -> None:
        append_audit(
            committing,
            actor=actor[:100],
            action="vault.reveal",
            subject=f"vault_card:{token}",
            details={"reason": reason[:300]},
        )

    call_before_commit(session, append)


def shred_card(session: Session, *, token: str, actor: str, reason: str) -> None:
    """Forget a card number for good (its ciphertext and data key go; the audit stays)."""
    session.execute(delete(VaultCard).where(VaultCard.token == token))
    _audit(session, action="shred", token=token, actor=actor, reason=reason)


@dataclass(frozen=True)
class Rotation:
    old_version: int
    new_version: int
    cards: int


def rotate_master_key(
    session: Session,
    *,
    old: MasterKey,
    new: MasterKey,
    actor: str,
    on_card: Callable[[str, str], None] | None = None,
) -> Rotation:
    """Re-wrap every data key under ``new`` (one transaction: all or nothing).

    ``on_card(token, new_fingerprint)`` lets the caller re-key what it derived
    from the numbers (card fingerprints) in the same transaction.
    """
    if new.key_id == old.key_id:
        raise InvalidInput("the new master key is the current one", code="same_master_key")
    old_version = active_master_version(session, master=old)
    retired = session.execute(
        update(VaultMasterKey)
        .where(VaultMasterKey.version == old_version, VaultMasterKey.retired_at.is_(None))
        .values(retired_at=utcnow())
    )
    if rows_changed(retired) != 1:
        raise VaultKeyMismatch("the vault was rotated meanwhile")
    new_version = old_version + 1
    session.add(VaultMasterKey(version=new_version, key_id=new.key_id))
    session.flush()
    cards = session.scalars(select(VaultCard).order_by(VaultCard.id)).all()
    for card in cards:
        data_key, number = _decrypt(card, old)  # every card must open, or nothing is kept
        card.wrapped_data_key = _seal(new.raw, data_key, _wrap_aad(card.token, new_version))
        card.master_version = new_version
        if on_card is not None:
            on_card(card.token, card_fingerprint(new, number))
    session.flush()
    _audit(
        session,
        action="rotate",
        token=None,
        actor=actor,
        reason=f"master key v{old_version} -> v{new_version}, {len(cards)} cards re-wrapped",
    )
    return Rotation(old_version=old_version, new_version=new_version, cards=len(cards))
