"""The buyer's order detail page: ``/orders/{id}`` (lines, amounts, address, history)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.orders.status_history import buyer_order_detail
from liveshop.web.pages import _render, login_redirect
from liveshop.web.search_pages import yuan

router = APIRouter(include_in_schema=False)

ORDER_STATUS_NAMES = {
    "pending_payment": "待支付",
    "paid": "待发货",
    "shipped": "已发货",
    "delivered": "已签收",
    "completed": "已完成",
    "cancelled": "已取消",
    "refunded": "已退款",
}
# What each step of the history says happened (an order's state reached, or an
# after-sale request's).
ORDER_STEP_NAMES = {
    "pending_payment": "下单成功",
    "paid": "支付成功",
    "shipped": "商家已发货",
    "delivered": "已签收",
    "completed": "订单完成",
    "cancelled": "订单已取消",
    "refunded": "已退款",
}
AFTER_SALE_STEP_NAMES = {
    "requested": "申请售后",
    "awaiting_return": "商家同意售后，待寄回商品",
    "return_shipped": "退货已寄回",
    "refunded": "售后退款完成",
    "rejected": "商家拒绝售后",
    "disputed": "已申请平台介入",
    "closed": "售后已关闭",
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
        yuan=yuan,
        status_names=ORDER_STATUS_NAMES,
        step_names={"order": ORDER_STEP_NAMES, "after_sale": AFTER_SALE_STEP_NAMES},
    )
