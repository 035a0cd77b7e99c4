"""A coupon's landing page, ``/coupons/{id}``: where a campaign's coupon link leads.

Anyone sees what the coupon takes off; a signed-in shopper claims it with one tap
(``static/coupon.js`` calls promotions' ``POST /api/coupons/{id}/grab``, so its
validity, stock, per-user limit and risk check hold). A signed-out visitor signs in or
signs up and comes back here (``next``), the attribution cookie untouched.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.clock import as_utc, utcnow
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.promotions import coupons
from liveshop.web.pages import _render

router = APIRouter(include_in_schema=False)


@router.get("/coupons/{coupon_id}", response_class=HTMLResponse)
def coupon_page(
    coupon_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    claimed = coupons.claimed_by(session, coupon_id=coupon.id, user_id=user.id) if user else 0
    now = utcnow()
    return _render(
        request,
        "coupon.html",
        settings,
        user,
        coupon=coupons.coupon_out(coupon),
        valid_now=as_utc(coupon.starts_at) <= now < as_utc(coupon.ends_at),
        claimed=claimed,
        at_limit=claimed >= coupon.per_user_limit,
        here=quote(f"/coupons/{coupon.id}"),
    )
