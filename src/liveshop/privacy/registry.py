"""What other domains hold about a person, registered with privacy.

``privacy`` may not import the domains above it (orders, payments, live); each
domain keeps its own hooks (``orders/privacy_hooks.py``,
``payments/privacy_hooks.py``, ...), each reading only its own tables, and
``liveshop.wiring`` registers them here when the app, the CLI or the demo
starts. Registering a name again replaces the function, so wiring twice is
harmless.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from liveshop.core.settings import Settings


@dataclass(frozen=True)
class DataSubject:
    """Whose data a hook handles, in which transaction, under which settings."""

    session: Session
    user_id: int
    settings: Settings


Exporter = Callable[[DataSubject], Any]  # returns JSON-ready data
Eraser = Callable[[DataSubject], dict[str, int]]  # returns counts, e.g. {"addresses": 2}
ErasureCheck = Callable[[DataSubject], list[str]]  # returns why erasure must wait, if so
WithdrawalHook = Callable[[Session, int], None]  # (session, user_id)

DEFAULT_ORDER = 100
Result = TypeVar("Result")


def per_user(hook: Callable[[Session, int], Result]) -> Callable[[DataSubject], Result]:
    """A hook of a domain below privacy (accounts), which takes the session and the
    user's id rather than a DataSubject."""

    @functools.wraps(hook)
    def on_subject(subject: DataSubject) -> Result:
        return hook(subject.session, subject.user_id)

    return on_subject


@dataclass(frozen=True)
class RegisteredEraser:
    name: str
    eraser: Eraser
    order: int


_exporters: dict[str, Exporter] = {}
_erasers: dict[str, RegisteredEraser] = {}
_erasure_checks: dict[str, ErasureCheck] = {}
_withdrawal_hooks: dict[tuple[str, str], WithdrawalHook] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    """``exporter``'s result becomes section ``name`` of ``GET /api/me/export``."""
    _exporters[name] = exporter


def register_eraser(name: str, eraser: Eraser, *, order: int = DEFAULT_ORDER) -> None:
    """Run at erasure, in the erasure's transaction, lowest ``order`` first.

    An eraser deletes or anonymises its domain's data about the subject and leaves
    records under legal hold (orders, ledger, payments) in place: it must never
    break their invariants (the ledger still balances).
    """
    _erasers[name] = RegisteredEraser(name=name, eraser=eraser, order=order)


def register_erasure_check(name: str, check: ErasureCheck) -> None:
    """A reason erasure must wait (an order in flight, money left): erasure is
    refused while any check returns reasons."""
    _erasure_checks[name] = check


def register_withdrawal_hook(name: str, purpose: str, hook: WithdrawalHook) -> None:
    """Called in the same transaction when a user withdraws consent to ``purpose``
    (withdrawing stored-cards consent removes the stored cards)."""
    _withdrawal_hooks[(purpose, name)] = hook


def _require_wiring(registered: dict[str, Any]) -> None:
    # An export or erasure without the domains' hooks would silently miss most data.
    if not registered:
        raise RuntimeError("liveshop.wiring.connect_domains() was not called: no domain hooks")


def exporters() -> dict[str, Exporter]:
    _require_wiring(_exporters)
    return dict(sorted(_exporters.items()))


def erasers() -> list[RegisteredEraser]:
    _require_wiring(_erasers)
    return sorted(_erasers.values(), key=lambda entry: (entry.order, entry.name))


def erasure_checks() -> dict[str, ErasureCheck]:
    return dict(sorted(_erasure_checks.items()))


def withdrawal_hooks(purpose: str) -> list[WithdrawalHook]:
    return [
        hook
        for (hook_purpose, _name), hook in sorted(_withdrawal_hooks.items())
        if hook_purpose == purpose
    ]
