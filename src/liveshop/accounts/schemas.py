from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from liveshop.accounts.login_challenges import ChallengeAnswer, Factor
from liveshop.accounts.models import Role
from liveshop.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

USERNAME_PATTERN = r"^[A-Za-z0-9_\-\u4e00-\u9fff]{3,40}$"


class Credentials(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-40 letters, digits, _ or -")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class RegistrationIn(Credentials):
    display_name: str | None = Field(
        default=None, max_length=100, description="the name others see (昵称), 1-20 characters"
    )


class DisplayNameIn(BaseModel):
    display_name: str | None = Field(
        max_length=100, description="1-20 characters once trimmed; null or blank clears it"
    )


SECOND_FACTOR_PATTERN = r"^[0-9]{6}$|^[a-z0-9]{5}-?[a-z0-9]{5}$"


class LoginIn(Credentials):
    second_factor_code: str | None = Field(
        default=None,
        min_length=6,
        max_length=12,
        pattern=SECOND_FACTOR_PATTERN,
        description="when the sign-in asks for it (second_factor_required): six digits "
        "from the authenticator app, or a recovery code",
    )


class LoginChallengeIn(BaseModel):
    login_challenge: str = Field(
        min_length=20, max_length=100, description="from the sign-in's 401 second_factor_required"
    )


class LoginAnswerIn(LoginChallengeIn):
    factor: Factor
    code: str | None = Field(
        default=None,
        min_length=6,
        max_length=12,
        pattern=SECOND_FACTOR_PATTERN,
        description="totp: six digits from the app or a recovery code; email: the six digits sent",
    )
    credential: dict[str, Any] | None = Field(
        default=None, description="passkey: navigator.credentials.get()'s answer as JSON"
    )

    @model_validator(mode="after")
    def _one_answer(self) -> LoginAnswerIn:
        if (self.factor is Factor.PASSKEY) != (self.credential is not None):
            raise ValueError("a passkey answers with credential, other factors with code")
        if self.factor is not Factor.PASSKEY and self.code is None:
            raise ValueError("this factor answers with code")
        return self

    def answer(self) -> ChallengeAnswer:
        return ChallengeAnswer(factor=self.factor, code=self.code or "", credential=self.credential)


class EmailCodeSentOut(BaseModel):
    sent_to: str = Field(description="the account's email, masked")
    resend_after_seconds: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str | None = None
    role: Role


class LoginOut(BaseModel):
    token: str
    user: UserOut


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="base32, for typing into an app that cannot scan")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as an inline SVG QR code")


class TotpCodeIn(BaseModel):
    code: str = Field(
        min_length=6,
        max_length=12,
        pattern=SECOND_FACTOR_PATTERN,
        description="six digits from the app, or a recovery code",
    )


class TotpStatusOut(BaseModel):
    enrolled: bool
    recovery_codes_left: int


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="shown once: store them somewhere safe")


class PasskeyRegisterIn(BaseModel):
    credential: dict[str, Any] = Field(
        description="navigator.credentials.create()'s answer as JSON (binary fields base64url)"
    )
    name: str = Field(default="通行密钥", min_length=1, max_length=40)
    trusted: bool = Field(
        default=False, description="trust this device for small payments without a step-up"
    )


class PasskeyTrustIn(BaseModel):
    trusted: bool


class PasskeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    trusted: bool
    this_device: bool = Field(default=False, description="registered from the asking device")
    created_at: datetime
    last_used_at: datetime | None
