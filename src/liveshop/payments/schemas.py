from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.core.validation import PlainText
from liveshop.orders.schemas import OrderOut
from liveshop.payments.models import MethodKind, TopUpKind


class CardIn(BaseModel):
    """A card as typed. The number and the CVC are secrets: never echoed, logged or
    kept in clear (the number goes to the vault, the CVC is checked and dropped)."""

    card_number: SecretStr = Field(max_length=40, description="12-19 digits; spaces allowed")
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=0, le=9999, description="four digits (two are read as 20xx)")
    cvc: SecretStr = Field(max_length=8, description="3 digits, 4 for amex")
    holder: PlainText = Field(default="", max_length=80)
    save: bool = Field(
        default=True,
        description="keep the card for next time (needs the stored_cards consent); "
        "false: for one payment only, not listed and removed once paid",
    )
    save_consent: bool = Field(
        default=False,
        description="the buyer ticked 保存此卡: grants the stored_cards consent with the save",
    )


class PaymentMethodOut(BaseModel):
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder: str
    is_default: bool
    saved: bool


class PaymentIn(BaseModel):
    order_id: int = Field(ge=1, le=MAX_ROW_ID)
    method: MethodKind = Field(
        default=MethodKind.CARD, description="card, wallet (the balance) or third_party"
    )
    payment_method_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="the saved card, for method card"
    )


class TopUpIn(BaseModel):
    kind: TopUpKind = Field(description="wallet (money) or coins (for gifts)")
    amount: int = Field(ge=1, le=10**9, description="分; coins cost 10 分 each")
    method: MethodKind = MethodKind.CARD
    payment_method_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class ChallengeIn(BaseModel):
    code: str = Field(
        pattern=r"^[0-9]{6}$|^[a-z0-9]{5}-?[a-z0-9]{5}$",
        description="six digits (sandbox or authenticator app), or a recovery code",
    )


class ChallengeOut(BaseModel):
    method: str = Field(description="sandbox_otp or totp (the buyer's authenticator app)")
    sandbox_code: str | None = Field(
        description="the sandbox shows its one-time code (a real issuer sends it by SMS)"
    )


class PaymentOut(BaseModel):
    id: int
    order_id: int | None
    top_up_id: int | None
    method: str
    amount: int
    currency: str
    status: str
    decline_code: str | None
    challenge: ChallengeOut | None
    step_up_reason: str | None = Field(
        description="why a second factor was asked: the amount, a new device, a risk signal",
    )
    redirect_url: str | None = Field(
        default=None, description="third-party wallet: send the buyer here to approve"
    )


class BalancesOut(BaseModel):
    wallet: int = Field(description="分")
    coins: int
    host_earnings: int = Field(description="分")


class MovementOut(BaseModel):
    at: datetime
    account: str
    kind: str
    memo: str  # the ledger's English note; a page writes its own words from kind and order_id
    amount: int
    order_id: int | None = None


class WalletDecisionIn(BaseModel):
    approve: bool


class GiftOut(BaseModel):
    code: str
    name: str
    coins: int
    animation: str


class GiftSendIn(BaseModel):
    gift: str = Field(min_length=1, max_length=20)
    count: int = Field(default=1, ge=1, le=9_999)


class GiftSendOut(BaseModel):
    id: int
    room_id: int
    gift: str
    count: int
    coins: int
    coins_left: int


class RedPacketIn(BaseModel):
    total: int = Field(ge=1, le=2_000_000, description="分, taken from your wallet")
    shares: int = Field(ge=1, le=1_000)
    greeting: PlainText = Field(default="", max_length=60)
    minutes: int | None = Field(default=None, ge=1, le=1_440, description="then the rest returns")


class RedPacketGrabOut(BaseModel):
    user: str
    amount: int
    grabbed_at: datetime


class RedPacketOut(BaseModel):
    id: int
    room_id: int
    total: int
    shares: int
    left: int
    greeting: str
    status: str
    expires_at: datetime
    grabs: list[RedPacketGrabOut]


class GrabOut(BaseModel):
    packet_id: int
    amount: int = Field(description="分, now in your wallet")


class PayoutLineOut(BaseModel):
    owner_type: str = Field(description="shop or user (a host)")
    owner_id: int
    name: str
    pending: int = Field(description="分 inside the after-sales window")
    payable: int = Field(description="分 owed now")
    currency: str


class OneClickOut(BaseModel):
    order: OrderOut
    payment: PaymentOut


class PasskeyAssertionIn(BaseModel):
    credential: dict[str, Any] = Field(
        description="navigator.credentials.get()'s answer as JSON (binary fields base64url)"
    )


class SeamlessLimitIn(BaseModel):
    daily_limit: int = Field(ge=0, description="分 a day from trusted devices; 0: off")


class SeamlessLimitOut(BaseModel):
    daily_limit: int = Field(description="分; 0: off")
    platform_max: int = Field(description="分: the most a buyer may set")
    spent_today: int = Field(description="分 paid without a step-up today (UTC+8)")
    remaining: int
