"""The buyer's order detail page: ``/orders/{id}`` (lines, amounts, address, history)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.orders.status_history import buyer_order_detail
from liveshop.web.i18n import N_
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)

ORDER_STATUS_NAMES = {
    "pending_payment": N_("待支付"),
    "paid": N_("待发货"),
    "shipped": N_("已发货"),
    "delivered": N_("已签收"),
    "completed": N_("已完成"),
    "cancelled": N_("已取消"),
    "refunded": N_("已退款"),
}
# What each step of the history says happened (an order's state reached, or an
# after-sale request's).
ORDER_STEP_NAMES = {
    "pending_payment": N_("下单成功"),
    "paid": N_("支付成功"),
    "shipped": N_("商家已发货"),
    "delivered": N_("已签收"),
    "completed": N_("订单完成"),
    "cancelled": N_("订单已取消"),
    "refunded": N_("已退款"),
}
AFTER_SALE_STEP_NAMES = {
    "requested": N_("申请售后"),
    "awaiting_return": N_("商家同意售后，待寄回商品"),
    "return_shipped": N_("退货已寄回"),
    "refunded": N_("售后退款完成"),
    "rejected": N_("商家拒绝售后"),
    "disputed": N_("已申请平台介入"),
    "closed": N_("售后已关闭"),
}


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_detail_page(
    order_id: RowId, request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect(f"/orders/{order_id}")
    detail = buyer_order_detail(session, buyer=user, order_id=order_id)
    address = detail.order.address
    shown_address = address.model_dump(mode="json") if address else None  # the phone masked
    return _render(
        request,
        "order_detail.html",
        settings,
        user,
        order=detail.order,
        address=shown_address,
        history=detail.history,
        status_names=ORDER_STATUS_NAMES,
        step_names={"order": ORDER_STEP_NAMES, "after_sale": AFTER_SALE_STEP_NAMES},
    )
