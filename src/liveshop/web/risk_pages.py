"""Risk's pages: the analysts' review queue with the evidence, and the merchant's
held requests (status and the appeal route only, never the reasons)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.risk import access, cases
from liveshop.risk.cases import LABELS
from liveshop.risk.schemas import held_out
from liveshop.web.pages import _render, login_redirect

router = APIRouter()
SHOWN_FEATURES = 12  # the features most beyond legit behaviour, for one case


@router.get("/risk", response_class=HTMLResponse, include_in_schema=False)
def review_page(
    request: Request, settings: SettingsDep, user: OptionalUser, session: DbSession
) -> Response:
    if user is None:
        return login_redirect("/risk")
    queue = cases.review_queue(session, analyst=user)
    return _render(request, "risk_queue.html", settings, user, cases=queue, labels=LABELS)


@router.get("/risk/held", response_class=HTMLResponse, include_in_schema=False)
def held_page(
    request: Request, settings: SettingsDep, user: OptionalUser, session: DbSession
) -> Response:
    if user is None:
        return login_redirect("/risk/held")
    access.require_merchant(user)
    held = [held_out(case) for case in cases.held_for_merchant(session, merchant=user)]
    return _render(request, "risk_held.html", settings, user, held=held)
