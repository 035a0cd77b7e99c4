"""Who may see what of risk: every access decision of the risk domain.

- The review queue, a case's evidence (rules fired, features, score) and
  labelling are for risk analysts and admins.
- A merchant sees the cases on requests in its rooms or shop: the status only,
  never the reasons or the features (they would teach fraudsters the rules).
- The buyer whose request was held, or the merchant it was made with, may
  appeal a case; to anyone else the case does not exist.
- Rules and models are changed by admins (and read by analysts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liveshop.accounts.models import Role, User
from liveshop.core.errors import PermissionDenied

if TYPE_CHECKING:
    from liveshop.risk.models import RiskCase

ANALYST_ROLES = frozenset({Role.RISK_ANALYST, Role.ADMIN})


def can_review(user: User) -> bool:
    return user.role in ANALYST_ROLES


def require_analyst(user: User) -> None:
    if not can_review(user):
        raise PermissionDenied("the review queue is for risk analysts", code="wrong_role")


def can_edit_rules(user: User) -> bool:
    return user.role is Role.ADMIN


def require_rule_editor(user: User) -> None:
    if not can_edit_rules(user):
        raise PermissionDenied("risk rules are changed by admins", code="wrong_role")


def can_see_held_orders(user: User) -> bool:
    return user.role in (Role.MERCHANT, Role.ADMIN)


def require_merchant(user: User) -> None:
    if not can_see_held_orders(user):
        raise PermissionDenied("held orders are shown to merchants", code="wrong_role")


def can_appeal(user: User, case: RiskCase) -> bool:
    return user.id in (case.user_id, case.merchant_id)
