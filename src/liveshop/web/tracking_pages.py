"""An order's parcel timeline: ``/orders/{id}/tracking``."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import NotFound
from liveshop.core.languages import request_words
from liveshop.tracking.models import ParcelStatus
from liveshop.tracking.service import tracking_for
from liveshop.web.i18n import N_
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)

STATUS_NAMES = {
    ParcelStatus.REGISTERED: N_("等待揽收"),
    ParcelStatus.PICKED_UP: N_("已揽收"),
    ParcelStatus.IN_TRANSIT: N_("运输中"),
    ParcelStatus.OUT_FOR_DELIVERY: N_("派送中"),
    ParcelStatus.DELIVERED: N_("已签收"),
    ParcelStatus.EXCEPTION: N_("异常"),
}
# Han and CJK punctuation: a carrier's own text with any is Chinese (its carriers are).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def carrier_text_lang(text: str) -> str:
    """The language tag of a carrier's own text (a place, a note), as it sent it."""
    return "zh-CN" if CJK.search(text) else "en"


@router.get("/orders/{order_id}/tracking", response_class=HTMLResponse)
def tracking_page(
    order_id: RowId, request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect(f"/orders/{order_id}/tracking")
    words = request_words(request)
    try:
        shipment = tracking_for(session, actor=user, order_id=order_id, words=words)
    except NotFound as error:
        if error.code != "no_shipment":  # the order itself is not the caller's to see
            raise
        shipment = None  # shipped by hand with a number only: nothing to follow
    return _render(
        request,
        "tracking.html",
        settings,
        user,
        order_id=order_id,
        shipment=shipment,
        status_names=STATUS_NAMES,
        carrier_text_lang=carrier_text_lang,
    )
