"""What payments tell the risk engine about a payment (through ``core.risk``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog.models import Shop
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.risk import RiskPath, RiskRequest
from liveshop.payments.models import MethodKind, Payment, PaymentMethod


def payment_risk_request(session: Session, payment: Payment) -> RiskRequest:
    """The buyer, the device, the card's fingerprint (a keyed hash: the engine never
    sees a number) and the amount; the payee's shop is the merchant."""
    buyer = session.get_one(User, payment.buyer_id)
    card_fp = ""
    if payment.method_kind is MethodKind.CARD and payment.method_id is not None:
        method = session.get(PaymentMethod, payment.method_id)
        card_fp = (method.fingerprint or f"method:{method.id}") if method else ""
    merchant_id = None
    if payment.order_id is not None:  # a top-up pays the platform: no merchant
        shop = session.get(Shop, payment.payee_shop_id)
        merchant_id = shop.owner_id if shop is not None else None
    return RiskRequest(
        path=RiskPath.PAYMENT,
        merchant_id=merchant_id,
        user_id=buyer.id,
        account_created_at=as_utc(buyer.created_at),
        at=as_utc(payment.created_at) if payment.created_at else utcnow(),
        device_id=payment.device_id or "",
        card_fp=card_fp,
        amount=payment.amount,
        subject=f"payment:{payment.id}",
    )


def counts_as_card_attempt(payment: Payment) -> bool:
    """A wallet short of funds or a cancelled third-party approval is not a card tried."""
    return payment.method_kind is MethodKind.CARD
