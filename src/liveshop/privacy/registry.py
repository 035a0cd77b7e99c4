"""What other domains hold about a person, registered with privacy.

``privacy`` is on layer 2 and may not import the domains above it (orders,
payments); each domain's data reaches export and erasure through functions
registered here, at import time of ``liveshop.privacy_wiring`` (the app, the
CLI and the tests import it), as ``core/rooms.py`` does for room lookups.
Registering a name again replaces the function, so re-imports are harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
        raise RuntimeError("liveshop.privacy_wiring is not imported: no domain is registered")


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
