"""What a new password may be: long enough, not one of the most common, not one repeated key.

The list of common passwords is ``data/common_passwords.txt``: the 20,000 most
common passwords compiled by Royce Williams, lowercased and deduplicated
(19,640 lines), taken unchanged from Django 5.2.19
(``django/contrib/auth/common-passwords.txt.gz``, BSD-3-Clause; the licence is
in ``data/common_passwords.LICENSE``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from liveshop.core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MIN_DIFFERENT_CHARACTERS = 3  # "aaaaaaaa" and "abababab" fall to the first guesses


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased (read once per process: about 1 MB in memory)."""
    text = resources.files("liveshop.accounts").joinpath("data/common_passwords.txt").read_text()
    return frozenset(line for line in text.splitlines() if line)


def check_new_password(password: str) -> None:
    """Raise InvalidInput (with a code saying which rule) unless ``password`` may be set."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            code="bad_password",
        )
    if len(set(password)) < MIN_DIFFERENT_CHARACTERS:
        raise InvalidInput(
            f"a password needs at least {MIN_DIFFERENT_CHARACTERS} different characters",
            code="password_too_simple",
        )
    if password.strip().lower() in common_passwords():
        raise InvalidInput(
            "this password is one of the most common ones; choose another",
            code="password_too_common",
        )
