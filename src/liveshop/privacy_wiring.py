"""What each domain holds about a person, registered with ``liveshop.privacy``.

``privacy`` (layer 2) may not import orders or payments, so this top-layer
module (imported once by the app, the CLI and the tests) registers, per
domain: an exporter (a section of ``GET /api/me/export``), an eraser, the
checks that make erasure wait, and the retention purgers.

Until each domain exposes functions of its own for these, the hooks below read
and write the domains' tables directly; each says which domain it belongs to.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from liveshop.accounts.models import ApiToken, RecoveryCode, TotpFactor, User
from liveshop.catalog.models import Shop
from liveshop.core.clock import utcnow
from liveshop.core.db import rows_changed
from liveshop.core.security import hash_password
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import COLUMNS, create_tables
from liveshop.live.models import Comment, Question
from liveshop.moderation.qualification_privacy import register_privacy_hooks
from liveshop.orders.models import Address, AfterSale, AfterSaleStatus, Order, OrderStatus
from liveshop.orders.service import order_out
from liveshop.payments import methods, wallets
from liveshop.payments.models import Payment, PaymentMethod
from liveshop.privacy.consents import Purpose
from liveshop.privacy.masking import mask_address_snapshot, mask_card, mask_phone
from liveshop.privacy.registry import (
    DataSubject,
    register_eraser,
    register_erasure_check,
    register_exporter,
    register_withdrawal_hook,
)
from liveshop.privacy.retention import DataClass, register_purger

ERASED_NAME_PREFIX = "erased-"
ACCOUNTS_LAST = 900  # the account is anonymised after every other domain has used it
ORDERS_IN_FLIGHT = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
AFTER_SALES_OPEN = (
    AfterSaleStatus.REQUESTED,
    AfterSaleStatus.AWAITING_RETURN,
    AfterSaleStatus.RETURN_SHIPPED,
    AfterSaleStatus.DISPUTED,
)
HISTORY_LIMIT = 100_000
EVENT_STORE_RETRIES = 50  # about 5 s, as the recorder waits
# An erased account's password: the argon2 hash of a random password known to no one,
# made once per process (as core.security's timing equaliser is), because hashing costs
# tens of milliseconds of CPU, too long to spend inside each erasure's write transaction.
UNUSABLE_PASSWORD_HASH = hash_password(secrets.token_urlsafe(32))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- accounts ---


def export_account(subject: DataSubject) -> dict[str, Any]:
    user = subject.session.get_one(User, subject.user_id)
    tokens = subject.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "created_at": _iso(user.created_at),
        "second_factor": subject.session.get(TotpFactor, user.id) is not None,
        "sessions": [
            {
                "created_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in tokens
        ],
    }


def erase_account(subject: DataSubject) -> dict[str, int]:
    """The name goes (``erased-<id>``), the password becomes unusable, every token
    is revoked and the second factor forgotten; the row stays for the records
    under legal hold that point at it."""
    session, user_id = subject.session, subject.user_id
    user = session.get_one(User, user_id)
    name = f"{ERASED_NAME_PREFIX}{user_id}"
    if session.scalar(select(User.id).where(User.username == name, User.id != user_id)):
        name = f"{name}-{secrets.token_hex(4)}"  # someone registered that name first
    user.username = name
    user.password_hash = UNUSABLE_PASSWORD_HASH
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    codes = session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    factors = session.execute(delete(TotpFactor).where(TotpFactor.user_id == user_id))
    session.flush()
    return {
        "name": 1,
        "tokens_revoked": rows_changed(revoked),
        "second_factors": rows_changed(factors),
        "recovery_codes": rows_changed(codes),
    }


def purge_tokens(session: Session, cutoff: datetime, _settings: Settings) -> int:
    """Tokens dead (expired or revoked) since before the cutoff."""
    return rows_changed(
        session.execute(
            delete(ApiToken).where(
                or_(
                    ApiToken.expires_at < cutoff,
                    ApiToken.revoked_at.is_not(None) & (ApiToken.revoked_at < cutoff),
                )
            )
        )
    )


# --- orders ---


def export_orders(subject: DataSubject) -> dict[str, Any]:
    session = subject.session
    addresses = session.scalars(
        select(Address).where(Address.user_id == subject.user_id).order_by(Address.id)
    ).all()
    orders = session.scalars(
        select(Order).where(Order.buyer_id == subject.user_id).order_by(Order.id)
    ).all()
    exported_orders = []
    for order in orders:
        out = order_out(session, order).model_dump(mode="json")
        out["address"] = mask_address_snapshot(out["address"])
        exported_orders.append(out)
    return {
        "addresses": [
            {
                "id": address.id,
                "recipient": address.recipient,
                "phone": mask_phone(address.phone),
                "region": address.region,
                "line": address.line,
                "postal_code": address.postal_code,
                "is_default": address.is_default,
            }
            for address in addresses
        ],
        "orders": exported_orders,
    }


def orders_in_flight(subject: DataSubject) -> list[str]:
    session, user_id = subject.session, subject.user_id
    reasons = []
    open_orders = session.scalars(
        select(Order.id).where(Order.buyer_id == user_id, Order.status.in_(ORDERS_IN_FLIGHT))
    ).all()
    if open_orders:
        reasons.append(f"orders {', '.join(map(str, open_orders))} are not finished")
    open_after_sales = session.scalars(
        select(AfterSale.id).where(
            AfterSale.buyer_id == user_id, AfterSale.status.in_(AFTER_SALES_OPEN)
        )
    ).all()
    if open_after_sales:
        reasons.append(f"after-sales {', '.join(map(str, open_after_sales))} are open")
    return reasons


def erase_addresses(subject: DataSubject) -> dict[str, int]:
    """The address book goes; orders keep their copy of the address (legal hold)."""
    removed = subject.session.execute(delete(Address).where(Address.user_id == subject.user_id))
    return {"addresses": rows_changed(removed)}


def anonymise_old_order_addresses(session: Session, cutoff: datetime, _settings: Settings) -> int:
    """Past the legal hold, an order keeps its amounts and items but not the address."""
    return rows_changed(
        session.execute(
            update(Order)
            .where(
                Order.created_at < cutoff,
                Order.address.is_not(None),
                Order.status.not_in(ORDERS_IN_FLIGHT),
            )
            .values(address=None)
            .execution_options(synchronize_session=False)
        )
    )


# --- payments ---


def export_payments(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    saved = session.scalars(
        select(PaymentMethod).where(PaymentMethod.user_id == user_id).order_by(PaymentMethod.id)
    ).all()
    payments = session.scalars(
        select(Payment).where(Payment.buyer_id == user_id).order_by(Payment.id)
    ).all()
    balances = wallets.balances_of(session, user_id=user_id)
    return {
        "payment_methods": [
            {
                "id": method.id,
                "card": mask_card(method.brand, method.last4),
                "exp_month": method.exp_month,
                "exp_year": method.exp_year,
                "holder": method.holder,
                "is_default": method.is_default,
                "created_at": _iso(method.created_at),
                "removed_at": _iso(method.removed_at),
            }
            for method in saved
        ],
        "payments": [
            {
                "id": payment.id,
                "order_id": payment.order_id,
                "top_up_id": payment.top_up_id,
                "method": payment.method_kind.value,
                "amount": payment.amount,
                "currency": payment.currency,
                "status": payment.status.value,
                "created_at": _iso(payment.created_at),
            }
            for payment in payments
        ],
        "balances": {
            "wallet": balances.wallet,
            "coins": balances.coins,
            "host_earnings": balances.host_earnings,
        },
        "wallet_history": [
            {
                "at": _iso(movement.at),
                "account": movement.account,
                "kind": movement.kind,
                "memo": movement.memo,
                "amount": movement.amount,
            }
            for movement in wallets.history_of(session, user_id=user_id, limit=HISTORY_LIMIT)
        ],
    }


def shop_owned(subject: DataSubject) -> list[str]:
    """A shop outlives its owner's account only once handed over or closed (catalog)."""
    shops = subject.session.scalars(select(Shop.id).where(Shop.owner_id == subject.user_id)).all()
    return [f"the shop {shop_id} must be handed over or closed first" for shop_id in shops]


def money_left(subject: DataSubject) -> list[str]:
    balances = wallets.balances_of(subject.session, user_id=subject.user_id)
    if balances.wallet or balances.coins or balances.host_earnings:
        return ["the wallet, coins or host earnings still hold money: spend or withdraw it first"]
    return []


def shred_cards(session: Session, user_id: int) -> int:
    """Remove every saved card through payments (the vault forgets the numbers)."""
    user = session.get_one(User, user_id)
    saved = methods.list_payment_methods(session, user=user)
    for method in saved:
        methods.remove_payment_method(session, user=user, method_id=method.id)
    return len(saved)


def erase_cards(subject: DataSubject) -> dict[str, int]:
    return {"cards_shredded": shred_cards(subject.session, subject.user_id)}


def remove_cards_on_withdrawal(session: Session, user_id: int) -> None:
    shred_cards(session, user_id)


# --- live ---


def export_live(subject: DataSubject) -> dict[str, Any]:
    session, user_id = subject.session, subject.user_id
    comments = session.scalars(
        select(Comment).where(Comment.user_id == user_id).order_by(Comment.created_at)
    ).all()
    questions = session.scalars(
        select(Question).where(Question.user_id == user_id).order_by(Question.id)
    ).all()
    return {
        "comments": [
            {"room_id": c.room_id, "text": c.text, "at": _iso(c.created_at)} for c in comments
        ],
        "questions": [
            {"room_id": q.room_id, "text": q.text, "at": _iso(q.created_at)} for q in questions
        ],
    }


def purge_chat(session: Session, cutoff: datetime, _settings: Settings) -> int:
    comments = session.execute(delete(Comment).where(Comment.created_at < cutoff))
    questions = session.execute(delete(Question).where(Question.created_at < cutoff))
    return rows_changed(comments) + rows_changed(questions)


# --- behaviour events (the DuckDB store) ---


def _event_store(settings: Settings) -> Path | None:
    path = settings.event_store_path()
    return path if path.exists() else None


def _connect_events(path: Path) -> duckdb.DuckDBPyConnection:
    """Another process may be writing the store (one writer at a time): wait a little."""
    for _attempt in range(EVENT_STORE_RETRIES):
        try:
            connection = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            time.sleep(0.1)
    else:
        connection = duckdb.connect(str(path))
    create_tables(connection)
    return connection


def _pseudonym(subject: DataSubject) -> str:
    return pseudonymous_id(subject.user_id, subject.settings.resolved_secret_key())


def export_events(subject: DataSubject) -> dict[str, Any]:
    path = _event_store(subject.settings)
    pseudonym = _pseudonym(subject)
    if path is None:
        return {"pseudonymous_id": pseudonym, "events": []}
    connection = _connect_events(path)
    try:
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM behaviour_events WHERE user_id = ? ORDER BY ts",
            [pseudonym],
        ).fetchall()
    finally:
        connection.close()
    events = []
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["ts"] = _iso(record["ts"])
        events.append(record)
    return {"pseudonymous_id": pseudonym, "events": events}


def _delete_events(path: Path, where: str, parameters: list[Any]) -> int:
    connection = _connect_events(path)
    try:
        found = connection.execute(
            f"SELECT count(*) FROM behaviour_events WHERE {where}", parameters
        ).fetchone()
        connection.execute(f"DELETE FROM behaviour_events WHERE {where}", parameters)
    finally:
        connection.close()
    return int(found[0]) if found else 0


def erase_events(subject: DataSubject) -> dict[str, int]:
    """Deleted, not re-keyed: the erasure request covers them all. The DuckDB store is
    outside the database transaction, and deleting them is right even if the rest of
    the erasure were to fail."""
    path = _event_store(subject.settings)
    if path is None:
        return {"behaviour_events": 0}
    return {"behaviour_events": _delete_events(path, "user_id = ?", [_pseudonym(subject)])}


def purge_events(_session: Session, cutoff: datetime, settings: Settings) -> int:
    path = _event_store(settings)
    return 0 if path is None else _delete_events(path, "ts < ?", [cutoff])


# --- registration ---

register_exporter("account", export_account)
register_exporter("orders", export_orders)
register_exporter("payments", export_payments)
register_exporter("live", export_live)
register_exporter("behaviour_events", export_events)

register_erasure_check("orders", orders_in_flight)
register_erasure_check("payments", money_left)
register_erasure_check("shops", shop_owned)

register_eraser("behaviour_events", erase_events)
register_eraser("addresses", erase_addresses)
register_eraser("payment_methods", erase_cards)
register_eraser("account", erase_account, order=ACCOUNTS_LAST)

register_withdrawal_hook("payment_methods", Purpose.STORED_CARDS.value, remove_cards_on_withdrawal)

register_purger(DataClass.BEHAVIOUR_EVENTS, "behaviour_events", purge_events)
register_purger(DataClass.CHAT_MESSAGES, "live_chat", purge_chat)
register_purger(DataClass.API_TOKENS, "api_tokens", purge_tokens)
register_purger(DataClass.ORDER_ADDRESSES, "orders", anonymise_old_order_addresses)

register_privacy_hooks()  # moderation's identity records, reports, penalties and appeals
