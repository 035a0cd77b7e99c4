"""Cash on delivery: the order ships unpaid, and the capture is booked once the
courier has delivered it (and collected the money)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.orders import service as orders
from liveshop.orders.models import OrderStatus
from liveshop.payments.models import MethodKind, Payment, PaymentStatus
from liveshop.payments.order_ledger import FeeRates, PaymentSource, record_order_paid


def confirm(session: Session, *, payment: Payment) -> Payment:
    """The order goes ahead to shipping unpaid; the courier collects the money, and
    the capture is booked when the order is delivered (``capture_delivered_cash``)."""
    assert payment.order_id is not None  # top-ups are never cash on delivery
    orders.mark_paid(session, order_id=payment.order_id, payment_ref=f"cod:{payment.id}")
    payment.status = PaymentStatus.PENDING
    session.flush()
    return payment


def capture_delivered_cash(session: Session, *, rates: FeeRates) -> int:
    """Book the capture of every cash-on-delivery order the courier has delivered
    (the courier collected the money); returns how many."""
    waiting = session.scalars(
        select(Payment).where(
            Payment.method_kind == MethodKind.CASH_ON_DELIVERY,
            Payment.status == PaymentStatus.PENDING,
        )
    ).all()
    captured = 0
    for payment in waiting:
        assert payment.order_id is not None
        order = orders.get_order(session, order_id=payment.order_id)
        if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            continue
        record_order_paid(
            session,
            order=order,
            amount=payment.amount,
            method=PaymentSource.CASH_ON_DELIVERY,
            rates=rates,
        )
        payment.status = PaymentStatus.SUCCEEDED
        captured += 1
    session.flush()
    return captured
