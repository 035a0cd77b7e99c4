"""What an order's payment and refunds write to the ledger.

Capture (kind ``order_paid``, reference the order id), buyer paid ``T``,
platform coupons gave ``S`` off:

    source (gateway_clearing, or the buyer's wallet)   -T
    platform_coupon_subsidy                            -S
    platform_fees              +F = fee rate x base
    host_earnings              +H = commission rate x base (orders bought in a room)
    merchant_pending           +(T + S - F - H)

Settlement (kind ``order_settled``, after the after-sales window) moves what is
left of the shop's share from ``merchant_pending`` to ``merchant_payable``.

where ``base`` is the merchandise at the shop's own price (line totals plus the
platform coupons' shares: the shop's own coupons are its own cost). A refund
(kind ``order_refund``, reference ``order:after_sale``) moves the same accounts
back: the platform subsidy of the refunded lines by quantity, the fee,
commission and merchant shares in proportion to the value returned, computed
cumulatively so that refunding everything reverses the capture exactly.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.core.errors import Conflict, InvalidInput
from liveshop.core.settings import Settings
from liveshop.orders.after_sales import get_after_sale
from liveshop.orders.models import Order
from liveshop.payments.ledger import (
    AccountKey,
    AccountKind,
    Posting,
    find_transaction,
    get_account,
    get_transaction,
    platform_account,
    post_transaction,
    postings_of,
    shop_account,
    user_account,
)
from liveshop.payments.models import LedgerTransaction
from liveshop.promotions.coupons import issuers_of
from liveshop.promotions.models import CouponIssuer
from liveshop.promotions.pricing import PriceBreakdown, discount_shares

ORDER_PAID = "order_paid"
ORDER_REFUND = "order_refund"
ORDER_SETTLED = "order_settled"
BASIS_POINTS = 10_000


class PaymentSource(enum.StrEnum):
    CARD = "card"  # through the gateway
    WALLET = "wallet"  # the buyer's stored balance
    CASH_ON_DELIVERY = "cash_on_delivery"  # the courier collects it


@dataclass(frozen=True)
class FeeRates:
    platform_fee_bps: int
    host_commission_bps: int

    def __post_init__(self) -> None:
        if not 0 <= self.platform_fee_bps + self.host_commission_bps <= BASIS_POINTS:
            raise ValueError("fees and commission together are 0-100 % of the base")

    @staticmethod
    def from_settings(settings: Settings) -> FeeRates:
        return FeeRates(settings.platform_fee_bps, settings.host_commission_bps)


def _share_of(base: int, bps: int) -> int:
    """``base`` x ``bps`` / 10,000, half a minor unit rounded up (integers only)."""
    return (base * bps + BASIS_POINTS // 2) // BASIS_POINTS


@dataclass(frozen=True)
class LineSubsidy:
    sku_id: int
    quantity: int
    subsidy: int


def platform_subsidies(session: Session, *, order: Order) -> list[LineSubsidy]:
    """Each line's share of the platform's coupons, from the order's pricing."""
    breakdown = PriceBreakdown.model_validate(order.pricing)
    issuers = issuers_of(session, codes=[discount.code for discount in breakdown.discounts])
    shares = discount_shares(breakdown.lines, breakdown.discounts)
    per_line = [0 for _ in breakdown.lines]
    for discount, spread in zip(breakdown.discounts, shares, strict=True):
        if issuers.get(discount.code) is CouponIssuer.PLATFORM:
            per_line = [taken + share for taken, share in zip(per_line, spread, strict=True)]
    return [
        LineSubsidy(line.sku_id, line.quantity, subsidy)
        for line, subsidy in zip(breakdown.lines, per_line, strict=True)
    ]


def moves_no_money(session: Session, *, order: Order) -> bool:
    """The order cost its buyer nothing and the platform nothing (a lucky-draw prize,
    a shop's own coupon that covered it): its capture has nothing to book, and an
    order paid without one (a claimed prize) is complete in the ledger."""
    if order.total != 0:
        return False
    return all(line.subsidy == 0 for line in platform_subsidies(session, order=order))


def _accounts(
    session: Session, order: Order, source: PaymentSource, *, settled: bool = False
) -> dict[str, AccountKey]:
    """The accounts an order's money moves between; the shop's share waits in
    ``merchant_pending`` until the order settles, then refunds take it from the payable."""
    currency = order.currency
    merchant_kind = AccountKind.MERCHANT_PAYABLE if settled else AccountKind.MERCHANT_PENDING
    keys = {
        "source": _source_account(order, source),
        "refund": user_account(AccountKind.BUYER_WALLET, order.buyer_id, currency)
        if source is PaymentSource.WALLET
        else platform_account(AccountKind.REFUNDS_CLEARING, currency),
        "subsidy": platform_account(AccountKind.PLATFORM_COUPON_SUBSIDY, currency),
        "fees": platform_account(AccountKind.PLATFORM_FEES, currency),
        "merchant": shop_account(merchant_kind, order.shop_id, currency),
    }
    if order.host_id is not None:
        keys["host"] = user_account(AccountKind.HOST_EARNINGS, order.host_id, currency)
    return keys


def _source_account(order: Order, source: PaymentSource) -> AccountKey:
    if source is PaymentSource.WALLET:
        return user_account(AccountKind.BUYER_WALLET, order.buyer_id, order.currency)
    if source is PaymentSource.CASH_ON_DELIVERY:
        return platform_account(AccountKind.COD_CLEARING, order.currency)
    return platform_account(AccountKind.GATEWAY_CLEARING, order.currency)


def _postings(session: Session, amounts: Iterable[tuple[AccountKey, int]]) -> list[Posting]:
    return [(get_account(session, key), amount) for key, amount in amounts if amount != 0]


def record_order_paid(
    session: Session, *, order: Order, amount: int, method: PaymentSource, rates: FeeRates
) -> LedgerTransaction:
    """Book the capture of ``order`` (idempotent: once per order)."""
    if amount != order.total:
        raise InvalidInput(
            f"the order's total is {order.total}, not {amount}", code="amount_mismatch"
        )
    keys = _accounts(session, order, method)
    subsidy = sum(line.subsidy for line in platform_subsidies(session, order=order))
    base = order.items_total - order.discount_total + subsidy
    fee = _share_of(base, rates.platform_fee_bps)
    commission = _share_of(base, rates.host_commission_bps) if "host" in keys else 0
    amounts = [
        (keys["source"], -amount),
        (keys["subsidy"], -subsidy),
        (keys["fees"], fee),
        (keys["merchant"], amount + subsidy - fee - commission),
    ]
    if "host" in keys:
        amounts.append((keys["host"], commission))
    return post_transaction(
        session,
        kind=ORDER_PAID,
        reference=str(order.id),
        postings=_postings(session, amounts),
        memo=f"order {order.id} paid by {method.value}",
    )


@dataclass
class _Reversed:
    """What the order's refunds so far gave back, per role in the capture."""

    refunded: int = 0
    subsidy: int = 0
    fees: int = 0
    host: int = 0


def _roles(keys: dict[str, AccountKey]) -> dict[AccountKey, str]:
    roles = {key: role for role, key in keys.items() if role != "source"}
    return roles


def _reversed_so_far(
    session: Session, refunds: Sequence[LedgerTransaction], keys: dict[str, AccountKey]
) -> _Reversed:
    roles, done = _roles(keys), _Reversed()
    for transaction in refunds:
        for key, amount in postings_of(session, transaction):
            role = roles.get(key)
            if role == "refund":
                done.refunded += amount
            elif role == "subsidy":
                done.subsidy += amount
            elif role == "fees":
                done.fees -= amount
            elif role == "host":
                done.host -= amount
    return done


def _capture_source(session: Session, capture: LedgerTransaction) -> PaymentSource:
    kinds = {key.kind for key, _amount in postings_of(session, capture)}
    if AccountKind.BUYER_WALLET in kinds:
        return PaymentSource.WALLET
    if AccountKind.COD_CLEARING in kinds:
        return PaymentSource.CASH_ON_DELIVERY
    return PaymentSource.CARD


def _captured(
    session: Session, capture: LedgerTransaction, keys: dict[str, AccountKey]
) -> _Reversed:
    """The capture's amounts, by role (paid, subsidy, fee, commission)."""
    roles, got = {**_roles(keys), keys["source"]: "source"}, _Reversed()
    for key, amount in postings_of(session, capture):
        role = roles.get(key)
        if role == "source":
            got.refunded -= amount
        elif role == "subsidy":
            got.subsidy -= amount
        elif role == "fees":
            got.fees += amount
        elif role == "host":
            got.host += amount
    return got


def _subsidy_back(lines: Sequence[LineSubsidy], quantities: dict[int, int]) -> int:
    """The platform subsidy of ``quantities`` refunded per SKU (cumulative)."""
    total = 0
    for line in lines:
        returned = min(quantities.get(line.sku_id, 0), line.quantity)
        total += line.subsidy * returned // line.quantity if line.quantity else 0
    return total


def _previous_refunds(session: Session, order: Order) -> list[LedgerTransaction]:
    return list(
        session.scalars(
            select(LedgerTransaction)
            .where(
                LedgerTransaction.kind == ORDER_REFUND,
                LedgerTransaction.reference.like(f"{order.id}:%"),
            )
            .order_by(LedgerTransaction.id)
        ).all()
    )


def _returned_quantities(session: Session, after_sale_ids: Iterable[int]) -> dict[int, int]:
    quantities: dict[int, int] = defaultdict(int)
    for after_sale_id in after_sale_ids:
        for line in get_after_sale(session, after_sale_id=after_sale_id).items:
            quantities[line["sku_id"]] += line["quantity"]
    return quantities


def record_refund(
    session: Session, *, order: Order, amount: int, after_sale_id: int
) -> LedgerTransaction:
    """Book an approved after-sale's refund against the order's capture (idempotent)."""
    reference = f"{order.id}:{after_sale_id}"
    existing = find_transaction(session, kind=ORDER_REFUND, reference=reference)
    if existing is not None:
        return existing
    after_sale = get_after_sale(session, after_sale_id=after_sale_id)
    if after_sale.order_id != order.id or after_sale.amount != amount:
        raise InvalidInput("the refund does not match its after-sale", code="refund_mismatch")
    capture = get_transaction(session, kind=ORDER_PAID, reference=str(order.id))
    # One refund of an order at a time: they are computed from the ones before.
    session.scalars(
        select(LedgerTransaction.id).where(LedgerTransaction.id == capture.id).with_for_update()
    ).one()
    settled = find_transaction(session, kind=ORDER_SETTLED, reference=str(order.id)) is not None
    keys = _accounts(session, order, _capture_source(session, capture), settled=settled)
    captured = _captured(session, capture, keys)
    previous = _previous_refunds(session, order)
    done = _reversed_so_far(session, previous, keys)
    if done.refunded + amount > captured.refunded:
        raise Conflict("refunds would exceed what was paid", code="refund_exceeds_payment")
    earlier = [int(t.reference.split(":", 1)[1]) for t in previous]
    lines = platform_subsidies(session, order=order)
    subsidy_back = _subsidy_back(
        lines, _returned_quantities(session, [*earlier, after_sale_id])
    ) - _subsidy_back(lines, _returned_quantities(session, earlier))
    value_total = captured.refunded + captured.subsidy
    value_now = done.refunded + amount + done.subsidy + subsidy_back

    def cumulative(part: int) -> int:
        return part if value_now >= value_total else part * value_now // max(value_total, 1)

    fee_back = cumulative(captured.fees) - done.fees
    host_back = cumulative(captured.host) - done.host
    amounts = [
        (keys["refund"], amount),
        (keys["subsidy"], subsidy_back),
        (keys["fees"], -fee_back),
        (keys["merchant"], -(amount + subsidy_back - fee_back - host_back)),
    ]
    if "host" in keys:
        amounts.append((keys["host"], -host_back))
    return post_transaction(
        session,
        kind=ORDER_REFUND,
        reference=reference,
        postings=_postings(session, amounts),
        memo=f"after-sale {after_sale_id} of order {order.id}",
    )
