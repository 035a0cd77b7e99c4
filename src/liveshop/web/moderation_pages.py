"""Pages of moderation, governance and privacy, and the thin JSON routes they need.

Pages: my privacy (consents, export, delete my account), the moderation queue
with appeals, the regulator's dashboard, the host's pre-live check and a
merchant's compliance check. Each page checks the caller's role here; the
APIs it calls check again on the server.

JSON routes added here (the checks had none): the host's script check, the
merchant's copy check, and the appeals a moderator may decide (with the
penalty each is about).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.accounts.models import User
from liveshop.catalog import access as catalog_access
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductOut
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.errors import PermissionDenied
from liveshop.governance import access, queries
from liveshop.governance import appeals as enforcement_appeals
from liveshop.governance.schemas import AppealOut, PenaltyOut
from liveshop.live import access as live_access
from liveshop.moderation.compliance import check_copy
from liveshop.moderation.host_script import check_script
from liveshop.moderation.lists import Action, strictest
from liveshop.web.pages import _render, login_redirect

router = APIRouter()

MAX_SCRIPT = 200_000  # characters: a two-hour subtitle file
MAX_NAMES = 50


def _require_host(user: User) -> None:
    """The pre-live check: whoever may open rooms (hosts, and admins)."""
    if not live_access.can_open_rooms(user):
        raise PermissionDenied("the pre-live check is for hosts", code="wrong_role")


def _require_merchant(user: User, message: str) -> None:
    if not catalog_access.can_open_shop(user):
        raise PermissionDenied(message, code="wrong_role")


@router.get("/account/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/account/privacy")
    return _render(request, "mod_privacy.html", settings, user)


@router.get("/moderation", response_class=HTMLResponse, include_in_schema=False)
def moderation_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/moderation")
    access.require_moderator(user)
    return _render(request, "mod_queue.html", settings, user)


@router.get("/regulator", response_class=HTMLResponse, include_in_schema=False)
def regulator_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/regulator")
    access.require_regulator(user)
    return _render(request, "mod_regulator.html", settings, user)


@router.get("/host/prelive", response_class=HTMLResponse, include_in_schema=False)
def prelive_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/host/prelive")
    _require_host(user)
    return _render(request, "mod_prelive.html", settings, user)


@dataclass(frozen=True, slots=True)
class ProductFindings:
    """One of the shop's products with the findings of its title and description."""

    id: int
    title: str
    action: str
    title_report: dict[str, Any]
    description_report: dict[str, Any]


def _product_findings(product: ProductOut) -> ProductFindings:
    names = (product.brand,) if product.brand.strip() else ()
    title = check_copy(product.title, registered_names=names)
    description = check_copy(product.description, registered_names=names)
    return ProductFindings(
        id=product.id,
        title=product.title,
        action=strictest([title.action, description.action]).value,
        title_report=title.as_json(),
        description_report=description.as_json(),
    )


@router.get("/merchant/compliance", response_class=HTMLResponse, include_in_schema=False)
def compliance_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/merchant/compliance")
    _require_merchant(user, "compliance findings are for merchants")
    shop = catalog.shop_of(session, user=user)
    products = catalog.list_shop_products(session, shop_id=shop.id, limit=200) if shop else []
    checked = [_product_findings(product) for product in products]
    flagged = [item for item in checked if item.action != Action.ALLOW.value]
    return _render(
        request,
        "mod_compliance.html",
        settings,
        user,
        shop=shop,
        products_checked=len(checked),
        flagged=flagged,
    )


class ScriptIn(BaseModel):
    script: str = Field(min_length=1, max_length=MAX_SCRIPT)
    registered_names: list[str] = Field(default_factory=list, max_length=MAX_NAMES)


class CopyIn(BaseModel):
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=20_000)
    registered_names: list[str] = Field(default_factory=list, max_length=MAX_NAMES)


def _names(names: list[str]) -> tuple[str, ...]:
    return tuple(name.strip()[:100] for name in names if name.strip())


@router.post("/api/host/script-check", tags=["moderation"])
def script_check(body: ScriptIn, user: CurrentUser) -> dict[str, Any]:
    """The pre-live check: the cues of a script or SubRip file that need a change,
    each with its timestamps and findings (term, rule, suggestion)."""
    _require_host(user)
    cues = check_script(body.script, registered_names=_names(body.registered_names))
    return {"cues": [cue.as_json() for cue in cues]}


@router.post("/api/merchant/copy-check", tags=["moderation"])
def copy_check(body: CopyIn, user: CurrentUser) -> dict[str, Any]:
    """Advertising-law findings of a product's title and description."""
    _require_merchant(user, "the copy check is for merchants")
    names = _names(body.registered_names)
    return {
        field: check_copy(text, registered_names=names).as_json()
        for field, text in (("title", body.title), ("description", body.description))
    }


class AppealCaseOut(BaseModel):
    appeal: AppealOut
    penalty: PenaltyOut
    may_decide: bool


@router.get("/api/moderation/appeal-cases", tags=["moderation"])
def appeal_cases(user: CurrentUser, session: DbSession) -> list[AppealCaseOut]:
    """Pending appeals with their penalties; ``may_decide`` is false for the
    caller's own (imposed, triggered or appealed): another moderator decides."""
    access.require_moderator(user)
    cases = []
    for appeal in enforcement_appeals.pending_appeals(session, limit=200):
        penalty = queries.get_penalty(session, penalty_id=appeal.penalty_id)
        cases.append(
            AppealCaseOut(
                appeal=AppealOut.of(appeal),
                penalty=PenaltyOut.of(penalty),
                may_decide=access.can_decide_appeal(user, appeal=appeal, penalty=penalty),
            )
        )
    return cases
