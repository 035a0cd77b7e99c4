"""Saved payment methods: a user's cards as tokens, recognised when added twice.

The number passes through here once, on its way to the vault; what is kept
outside the vault is the brand, the last four digits, the expiry and a keyed
fingerprint.

Keeping a card needs the buyer's stored_cards consent (sensitive personal
information): given with the save (the ticked 保存此卡) or earlier on the privacy
page. Without it a card is for one payment only: not listed, removed once paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.errors import PermissionDenied
from liveshop.payments import access, vault
from liveshop.payments.cards import CheckedCard, check_card
from liveshop.payments.models import PaymentMethod
from liveshop.payments.schemas import CardIn, PaymentMethodOut
from liveshop.payments.vault import MasterKey, Rotation
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent, has_consent


def method_out(method: PaymentMethod) -> PaymentMethodOut:
    return PaymentMethodOut.model_validate(method, from_attributes=True)


def _by_fingerprint(session: Session, *, user_id: int, fingerprint: str) -> PaymentMethod | None:
    return session.scalars(
        select(PaymentMethod).where(
            PaymentMethod.user_id == user_id, PaymentMethod.fingerprint == fingerprint
        )
    ).first()


def _has_active(session: Session, *, user_id: int) -> bool:
    return (
        session.scalar(
            select(PaymentMethod.id)
            .where(
                PaymentMethod.user_id == user_id,
                PaymentMethod.saved.is_(True),
                PaymentMethod.removed_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def require_save_consent(session: Session, *, user: User, body: CardIn) -> None:
    """A card is kept only with the stored_cards consent: granted now (``save_consent``)
    or already open; otherwise refused, so no client saves a card without asking."""
    purpose = Purpose.STORED_CARDS
    if body.save_consent:
        grant_consent(
            session,
            user_id=user.id,
            purpose=purpose,
            policy_version=POLICY_VERSIONS[purpose],
            acknowledge_sensitive=True,
        )
    elif not has_consent(session, user_id=user.id, purpose=purpose):
        raise PermissionDenied(
            "saving a card needs the stored_cards consent: send save_consent, "
            "or save false to use the card for this payment only",
            code="save_card_consent_required",
        )


def add_payment_method(
    session: Session, *, user: User, body: CardIn, master: MasterKey, now: datetime | None = None
) -> tuple[PaymentMethod, bool]:
    """Add a card; returns (method, created). Kept (``body.save``) only with the consent;
    the same saved card again returns the first."""
    if body.save:
        require_save_consent(session, user=user, body=body)
    card = check_card(
        card_number=body.card_number.get_secret_value(),
        exp_month=body.exp_month,
        exp_year=body.exp_year,
        cvc=body.cvc.get_secret_value(),
        now=now or utcnow(),
    )
    fingerprint = vault.card_fingerprint(master, card.number)
    existing = _by_fingerprint(session, user_id=user.id, fingerprint=fingerprint)
    if existing is not None:
        return existing, False
    if not body.save:
        return _single_use_card(session, user=user, card=card, holder=body.holder, master=master)
    try:
        with session.begin_nested():
            method = _vaulted_card(
                session,
                user=user,
                card=card,
                holder=body.holder,
                master=master,
                fingerprint=fingerprint,
                is_default=not _has_active(session, user_id=user.id),
            )
    except IntegrityError:
        # The same card was added concurrently: the other request's method stands.
        existing = _by_fingerprint(session, user_id=user.id, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing, False
    return method, True


def _single_use_card(
    session: Session, *, user: User, card: CheckedCard, holder: str, master: MasterKey
) -> tuple[PaymentMethod, bool]:
    """A card for one payment: in the vault for the charge, no fingerprint, never listed."""
    method = _vaulted_card(session, user=user, card=card, holder=holder, master=master, saved=False)
    return method, True


def _vaulted_card(
    session: Session,
    *,
    user: User,
    card: CheckedCard,
    holder: str,
    master: MasterKey,
    fingerprint: str | None = None,
    is_default: bool = False,
    saved: bool = True,
) -> PaymentMethod:
    """The card's number in the vault, and its method row (brand, last four, expiry)."""
    method = PaymentMethod(
        user_id=user.id,
        vault_token=vault.store_card(session, master=master, number=card.number),
        fingerprint=fingerprint,
        brand=card.brand,
        last4=card.number[-4:],
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder=holder.strip(),
        is_default=is_default,
        saved=saved,
    )
    session.add(method)
    session.flush()
    return method


def forget_single_use_card(session: Session, *, method_id: int | None) -> None:
    """Once its payment succeeded, a card the buyer did not keep leaves the vault."""
    method = session.get(PaymentMethod, method_id) if method_id is not None else None
    if method is None or method.saved or method.removed_at is not None:
        return
    method.removed_at = utcnow()
    session.flush()
    vault.shred_card(
        session,
        token=method.vault_token,
        actor=f"user:{method.user_id}",
        reason="card used for one payment, not saved",
    )


def list_payment_methods(session: Session, *, user: User) -> Sequence[PaymentMethod]:
    return session.scalars(
        select(PaymentMethod)
        .where(
            PaymentMethod.user_id == user.id,
            PaymentMethod.saved.is_(True),
            PaymentMethod.removed_at.is_(None),
        )
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)
    ).all()


def own_method(session: Session, *, user: User, method_id: int) -> PaymentMethod:
    """The user's own active method; anyone else's does not exist for them (404)."""
    return access.require_card_owner(
        user, session.get(PaymentMethod, method_id), method_id=method_id
    )


def remove_payment_method(session: Session, *, user: User, method_id: int) -> None:
    """Remove a saved card: the vault forgets the number; the newest other card
    becomes the default if this one was."""
    method = own_method(session, user=user, method_id=method_id)
    was_default = method.is_default
    method.removed_at = utcnow()
    method.fingerprint = None
    method.is_default = False
    session.flush()
    vault.shred_card(
        session, token=method.vault_token, actor=f"user:{user.id}", reason="card removed by owner"
    )
    if was_default:
        newest = session.scalars(
            select(PaymentMethod)
            .where(
                PaymentMethod.user_id == user.id,
                PaymentMethod.saved.is_(True),
                PaymentMethod.removed_at.is_(None),
            )
            .order_by(PaymentMethod.id.desc())
            .limit(1)
        ).first()
        if newest is not None:
            newest.is_default = True
            session.flush()


def make_default(session: Session, *, user: User, method_id: int) -> PaymentMethod:
    method = own_method(session, user=user, method_id=method_id)
    if not method.saved:
        raise PermissionDenied("a card used once is not kept", code="card_not_saved")
    session.execute(
        update(PaymentMethod)
        .where(PaymentMethod.user_id == user.id, PaymentMethod.id != method.id)
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )
    method.is_default = True
    session.flush()
    session.expire_all()
    return own_method(session, user=user, method_id=method_id)


def rotate_vault_key(session: Session, *, old: MasterKey, new: MasterKey, actor: str) -> Rotation:
    """Re-wrap the vault under ``new`` and re-key the card fingerprints, in one transaction."""

    def refingerprint(token: str, fingerprint: str) -> None:
        session.execute(
            update(PaymentMethod)
            .where(PaymentMethod.vault_token == token, PaymentMethod.fingerprint.is_not(None))
            .values(fingerprint=fingerprint)
            .execution_options(synchronize_session=False)
        )

    return vault.rotate_master_key(session, old=old, new=new, actor=actor, on_card=refingerprint)
