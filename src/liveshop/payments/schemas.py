from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from liveshop.core.dependencies import MAX_ROW_ID
from liveshop.core.validation import PlainText


class CardIn(BaseModel):
    """A card as typed. The number and the CVC are secrets: never echoed, logged or
    kept in clear (the number goes to the vault, the CVC is checked and dropped)."""

    card_number: SecretStr = Field(max_length=40, description="12-19 digits; spaces allowed")
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=0, le=9999, description="four digits (two are read as 20xx)")
    cvc: SecretStr = Field(max_length=8, description="3 digits, 4 for amex")
    holder: PlainText = Field(default="", max_length=80)


class PaymentMethodOut(BaseModel):
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder: str
    is_default: bool


class PaymentIn(BaseModel):
    order_id: int = Field(ge=1, le=MAX_ROW_ID)
    payment_method_id: int = Field(ge=1, le=MAX_ROW_ID)


class ChallengeIn(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


class ChallengeOut(BaseModel):
    method: str
    sandbox_code: str | None = Field(
        description="the sandbox shows its one-time code (a real issuer sends it by SMS)"
    )


class PaymentOut(BaseModel):
    id: int
    order_id: int
    amount: int
    currency: str
    status: str
    decline_code: str | None
    challenge: ChallengeOut | None
