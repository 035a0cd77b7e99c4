"""Real-name and age verification, and the gift rules that follow from age.

Hosts must be at least ``minimum_host_age`` (16), with a guardian's consent
under ``adult_age`` (18). The ID number is stored only masked (first and last
character) with a keyed hash (HMAC-SHA256 under the server's secret key): one
identity can be bound to one account, and the number itself is never kept.
Minors cannot send gifts; everyone's gifts are capped per day and per month.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.clock import utcnow
from liveshop.core.errors import Conflict, InvalidInput, PermissionDenied
from liveshop.governance.access import is_host
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.penalties import record_audit
from liveshop.governance.qualifications.models import IdentityVerification
from liveshop.privacy.masking import mask_id_number

RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")  # 居民身份证, GB 11643
OTHER_ID = re.compile(r"^[A-Z0-9]{6,30}$")  # passports, permits
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"


class GiftNotAllowed(PermissionDenied):
    code = "gift_not_allowed"


def id_number_hash(id_number: str, *, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def resident_id_check_character(first_17: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK[total % 11]


def _check_id_number(id_number: str, birth_date: date) -> None:
    if RESIDENT_ID.match(id_number):
        if resident_id_check_character(id_number[:17]) != id_number[17]:
            raise InvalidInput("this ID number's check character is wrong", code="bad_id_number")
        if id_number[6:14] != birth_date.strftime("%Y%m%d"):
            raise InvalidInput("the birth date does not match the ID number", code="birth_mismatch")
        return
    if not OTHER_ID.match(id_number):
        raise InvalidInput("this is not an ID number", code="bad_id_number")


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def verify_identity(
    session: Session,
    *,
    user: User,
    real_name: str,
    id_number: str,
    birth_date: date,
    guardian_consent: bool,
    secret_key: str,
    settings: ModerationSettings,
    now: datetime | None = None,
) -> IdentityVerification:
    """Record the user's real name and age; a host must be old enough."""
    normalised = id_number.strip().upper()
    name = real_name.strip()
    if not 1 <= len(name) <= 60:
        raise InvalidInput("a real name is 1 to 60 characters", code="bad_real_name")
    _check_id_number(normalised, birth_date)
    moment = now or utcnow()
    age = age_on(birth_date, moment.date())
    if age < 0 or birth_date.year < 1900:
        raise InvalidInput("this birth date is impossible", code="bad_birth_date")
    if is_host(user):
        if age < settings.minimum_host_age:
            raise PermissionDenied(
                f"hosts are at least {settings.minimum_host_age}", code="too_young_to_host"
            )
        if age < settings.adult_age and not guardian_consent:
            raise PermissionDenied(
                f"a host under {settings.adult_age} needs a guardian's consent",
                code="guardian_consent_required",
            )
    verification = IdentityVerification(
        user_id=user.id,
        real_name=name,
        id_number_masked=mask_id_number(normalised),
        id_number_hash=id_number_hash(normalised, secret_key=secret_key),
        birth_date=birth_date,
        guardian_consent=guardian_consent,
        verified_at=moment,
    )
    try:
        with session.begin_nested():
            session.add(verification)
    except IntegrityError as error:
        raise Conflict(
            "this account or this identity is verified already", code="already_verified"
        ) from error
    record_audit(
        session,
        actor_id=user.id,
        action="identity.verified",
        subject=f"user:{user.id}",
        details={"adult": age >= settings.adult_age, "guardian_consent": guardian_consent},
    )
    return verification


def identity_of(session: Session, *, user_id: int) -> IdentityVerification | None:
    return session.get(IdentityVerification, user_id)


def is_minor(
    session: Session, *, user_id: int, settings: ModerationSettings, now: datetime | None = None
) -> bool | None:
    """True or False once verified; None when the age is not known."""
    verification = identity_of(session, user_id=user_id)
    if verification is None:
        return None
    return age_on(verification.birth_date, (now or utcnow()).date()) < settings.adult_age


def mask_real_name(name: str) -> str:
    """The first character and stars (张**), for the owner's own view."""
    return name[:1] + "*" * (len(name) - 1)


def check_gift_allowed(
    session: Session,
    user_id: int,
    coins: int,
    now: datetime | None = None,
    *,
    spent_today: int,
    spent_this_month: int,
    settings: ModerationSettings | None = None,
) -> None:
    """Raise :class:`GiftNotAllowed` (403, with a code saying why) unless the user
    may send gifts worth ``coins`` now: not a minor, and within the daily and
    monthly caps. ``spent_today`` and ``spent_this_month`` are the coins the
    user already gave (payments owns those figures)."""
    settings = settings or get_moderation_settings()
    if coins <= 0:
        raise InvalidInput("a gift costs at least one coin", code="bad_coins")
    minor = is_minor(session, user_id=user_id, settings=settings, now=now)
    if minor:
        raise GiftNotAllowed("minors cannot send gifts", code="minor_cannot_gift")
    if minor is None and settings.gifts_require_verification:
        raise GiftNotAllowed("verify your real name and age first", code="verification_required")
    if spent_today + coins > settings.gift_daily_cap:
        raise GiftNotAllowed(
            f"this passes your daily gift cap of {settings.gift_daily_cap} coins "
            f"({spent_today} sent today)",
            code="daily_gift_cap",
        )
    if spent_this_month + coins > settings.gift_monthly_cap:
        raise GiftNotAllowed(
            f"this passes your monthly gift cap of {settings.gift_monthly_cap} coins "
            f"({spent_this_month} sent this month)",
            code="monthly_gift_cap",
        )
