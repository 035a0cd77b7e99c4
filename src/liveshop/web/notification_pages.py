"""The notification centre page and the one-click unsubscribe page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.errors import InvalidInput
from liveshop.core.languages import request_words
from liveshop.notifications import centre
from liveshop.notifications.models import NotificationKind
from liveshop.web.i18n import N_
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)

KIND_NAMES = {
    NotificationKind.ROOM_LIVE: N_("关注的主播开播"),
    NotificationKind.ROOM_STARTING: N_("预约的直播即将开始"),
    NotificationKind.ORDER_SHIPPED: N_("订单发货"),
    NotificationKind.ORDER_DELIVERED: N_("订单签收"),
    NotificationKind.PARCEL_EXCEPTION: N_("包裹异常"),
    NotificationKind.REFUND_DECIDED: N_("退款结果"),
    NotificationKind.COUPON_EXPIRING: N_("优惠券即将过期"),
    NotificationKind.AUCTION_OUTBID: N_("竞拍被超越"),
    NotificationKind.ROOM_PROMOTED: N_("店铺推荐的直播"),
    NotificationKind.ORDER_APPEAL: N_("订单申诉结果"),
}
Token = Annotated[str, Query(max_length=200)]
BAD_LINK = N_("这个退订链接无效，可能不完整或已被改动")


@router.get("/notifications", response_class=HTMLResponse)
def notification_centre(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/notifications")
    return _render(
        request,
        "notifications.html",
        settings,
        user,
        page=centre.list_notifications(session, user=user, words=request_words(request), limit=50),
        preferences=centre.preferences(session, user=user),
        kind_names=KIND_NAMES,
    )


@router.get("/notifications/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, settings: SettingsDep, user: OptionalUser, token: Token = ""
) -> Response:
    """Asks before acting: mail scanners open links, and must not unsubscribe anyone."""
    return _render(request, "unsubscribe.html", settings, user, token=token, done=None, error=None)


@router.post("/notifications/unsubscribe", response_class=HTMLResponse)
def unsubscribe_now(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    token: Token = "",
    form_token: Annotated[str, Form(alias="token", max_length=200)] = "",
) -> Response:
    """The one click (RFC 8058: a mail client posts here with the link's token); the
    signed token is the proof, so no sign-in and no form token are needed. The session
    is not read at all: a signed-in visitor's cookie would ask for a CSRF header that a
    plain form cannot send, and the answer is the same for anyone."""
    try:
        kind = centre.unsubscribe(
            session, secret_key=settings.resolved_secret_key(), token=token or form_token
        )
    except InvalidInput as error:
        response = _render(
            request, "unsubscribe.html", settings, None, token="", done=None, error=BAD_LINK
        )
        response.status_code = error.status_code
        return response
    return _render(
        request, "unsubscribe.html", settings, None, token="", done=KIND_NAMES[kind], error=None
    )
