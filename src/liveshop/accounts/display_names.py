"""Display names (昵称): what other people see of a person instead of their username.

A username is for signing in (Latin letters, mostly) and stays private in the masked
forms others see; a display name is chosen to be seen (小鱼儿 -> 小**). It is optional,
1 to 20 characters of printable text once trimmed, and passes the text filter's name
rules: the filter is moderation's, which accounts may not import (a higher layer), so
``liveshop.wiring`` registers it with :func:`register_display_name_check`. Without a
check no name is accepted, so nothing reaches other people's pages unchecked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.core.errors import InvalidInput

DISPLAY_NAME_MAX_LENGTH = 20  # the column's width; room lines and cards show it whole
DisplayNameCheck = Callable[[str], bool]  # True when the name may be shown to others

_checks: list[DisplayNameCheck] = []


def register_display_name_check(check: DisplayNameCheck) -> None:
    _checks[:] = [check]


def registered_display_name_check() -> DisplayNameCheck | None:
    return _checks[0] if _checks else None


def clean_display_name(text: str | None) -> str | None:
    """The name as stored, None for none (blank clears it); InvalidInput when it is too
    long, is not printable text, or the filter refuses it."""
    if text is None:
        return None
    name = unicodedata.normalize("NFC", " ".join(text.split()))
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise InvalidInput(
            f"a display name is at most {DISPLAY_NAME_MAX_LENGTH} characters",
            code="display_name_too_long",
        )
    # no control or format characters (a right-to-left override), and no combining mark
    # first: the masked form shows the first character alone
    if unicodedata.category(name[0])[0] == "M" or any(
        unicodedata.category(char)[0] == "C" for char in name
    ):
        raise InvalidInput("a display name is printable text", code="display_name_invalid")
    if not _checks:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no name check")
    if not _checks[0](name):
        raise InvalidInput("this display name is not allowed", code="display_name_refused")
    return name


def set_display_name(session: Session, *, user: User, display_name: str | None) -> User:
    """Set (or clear, with None or blank) the user's display name; flushes."""
    user.display_name = clean_display_name(display_name)
    session.flush()
    return user
