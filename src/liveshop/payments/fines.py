"""Moderation's fines, in the double-entry ledger.

A fine moves its amount from what the platform owes the fined party to the
platform's penalty income: a shop's ``merchant_payable`` (the fined shop, or
the fined host's own shop), or, for a host who owns no shop, the host's
``host_earnings``. Both may go negative: the fine is then collected from what
the party earns next. Revoking the fine (an appeal overturned it) posts the
same postings reversed. Each is one transaction per penalty id, so a repeated
event books nothing twice.

``liveshop.wiring`` subscribes :class:`BookFines` to FineImposed and FineRevoked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput
from liveshop.governance.events import FineImposed, FineRevoked
from liveshop.payments.ledger import (
    AccountKind,
    find_transaction,
    get_account,
    platform_account,
    post_transaction,
    shop_account,
    user_account,
)
from liveshop.payments.models import LedgerAccount, LedgerPosting, LedgerTransaction

FINE = "moderation_fine"
FINE_RETURNED = "moderation_fine_returned"


def book_fine(
    session: Session,
    *,
    penalty_id: int,
    amount: int,
    currency: str,
    shop_id: int | None,
    host_id: int | None,
) -> LedgerTransaction:
    """Take fine ``penalty_id`` from the shop's payable (or, with no shop, the host's
    earnings) into the platform's penalty income, once."""
    if shop_id is not None:
        fined = get_account(session, shop_account(AccountKind.MERCHANT_PAYABLE, shop_id, currency))
    elif host_id is not None:
        fined = get_account(session, user_account(AccountKind.HOST_EARNINGS, host_id, currency))
    else:
        raise InvalidInput("a fine is taken from a shop or from a host", code="no_fined_party")
    income = get_account(session, platform_account(AccountKind.PLATFORM_PENALTIES, currency))
    return post_transaction(
        session,
        kind=FINE,
        reference=str(penalty_id),
        postings=[(fined, -amount), (income, amount)],
        memo=f"moderation fine {penalty_id}",
    )


def return_fine(session: Session, *, penalty_id: int) -> LedgerTransaction | None:
    """Reverse fine ``penalty_id``'s postings, once; None if it was never booked."""
    fine = find_transaction(session, kind=FINE, reference=str(penalty_id))
    if fine is None:
        return None
    postings = session.execute(
        select(LedgerAccount, LedgerPosting.amount)
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .where(LedgerPosting.transaction_id == fine.id)
        .order_by(LedgerPosting.id)
    ).tuples()
    return post_transaction(
        session,
        kind=FINE_RETURNED,
        reference=str(penalty_id),
        postings=[(account, -amount) for account, amount in postings],
        memo=f"moderation fine {penalty_id} revoked on appeal",
    )


class BookFines:
    """Subscribed to FineImposed (``imposed``) and FineRevoked (``revoked``)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def imposed(self, event: FineImposed) -> None:
        host_id = event.subject_id if event.subject_type == "user" else None
        with unit_of_work(self.database_url) as session:
            book_fine(
                session,
                penalty_id=event.penalty_id,
                amount=event.amount,
                currency=event.currency,
                shop_id=event.shop_id,
                host_id=host_id,
            )

    def revoked(self, event: FineRevoked) -> None:
        with unit_of_work(self.database_url) as session:
            return_fine(session, penalty_id=event.penalty_id)
