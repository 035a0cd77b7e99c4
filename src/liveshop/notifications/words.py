"""Notices in the reader's words (core.languages).

A notice is kept as its kind and parameters: the names it speaks of as they were then
(a host's name, a room's title, a coupon's, an auction item's), ids, amounts in minor
units, counts and codes (a refund's decision, a scan, why an order was not restored).
It is worded when it is read, in the reader's language, so the centre, the top bar's
toast and ``GET /api/notifications`` read alike in the page's language. What people
typed (a room's title, a shop's message, a merchant's reason) stays as they typed it.
Notices kept before they had parameters show the words they were stored with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from liveshop.core.languages import N_, SOURCE_LOCALE, Words, words_for
from liveshop.notifications.models import NotificationKind
from liveshop.tracking.words import carrier_name, scan_words

Params = Mapping[str, Any]

# Why an order cleared on appeal could not be reopened (orders.risk_holds' codes).
NOT_RESTORED = {
    "insufficient_stock": N_("商品库存已不足，订单未能恢复，请重新下单"),
    "order_not_reopenable": N_("秒杀或使用优惠券的订单无法恢复（优惠券已退回卡包），请重新下单"),
    "auction_order_not_reopenable": N_("拍卖订单无法恢复：拍品已转给次高出价者或重新上架"),
    "order_changed": N_("订单状态已变化，未能恢复，请重新下单"),
}


@dataclass(frozen=True)
class Worded:
    """A notice's title and body, and their language (a BCP 47 tag)."""

    title: str
    body: str
    lang: str


def _room_live(params: Params, words: Words) -> tuple[str, str]:
    return words.gettext("%(host)s 开播了") % {"host": params["host"]}, params["room"]


def _room_promoted(params: Params, words: Words) -> tuple[str, str]:
    title = words.gettext("%(host)s 邀你来看直播") % {"host": params["host"]}
    return title, params["message"] or params["room"]


def _room_starting(params: Params, words: Words) -> tuple[str, str]:
    minutes = params["minutes"]
    title = words.ngettext(
        "你预约的直播 %(num)s 分钟后开始", "你预约的直播 %(num)s 分钟后开始", minutes
    ) % {"num": minutes}
    body = words.gettext("%(host)s：%(room)s") % {"host": params["host"], "room": params["room"]}
    return title, body


def _order_shipped(params: Params, words: Words) -> tuple[str, str]:
    body = words.gettext("订单 %(order)s · %(carrier)s %(number)s") % {
        "order": params["order"],
        "carrier": carrier_name(params["carrier"], words),
        "number": params["tracking_number"],
    }
    return words.gettext("你的订单已发货"), body


def _order_delivered(params: Params, words: Words) -> tuple[str, str]:
    body = words.gettext("订单 %(order)s 已送达，满意的话给个评价吧。") % {"order": params["order"]}
    return words.gettext("你的包裹已签收"), body


def _parcel_exception(params: Params, words: Words) -> tuple[str, str]:
    scan, _lang = scan_words(params["scan"], "", words)
    body = words.gettext("订单 %(order)s：%(scan)s") % {"order": params["order"], "scan": scan}
    return words.gettext("包裹运输异常"), body


def _refund_decided(params: Params, words: Words) -> tuple[str, str]:
    if params["decision"] == "approved":
        body = words.gettext("订单 %(order)s 退款 %(amount)s，将原路退回。") % {
            "order": params["order"],
            "amount": words.money(params["amount"]),
        }
        return words.gettext("退款申请已同意"), body
    body = words.gettext("订单 %(order)s：%(reason)s。不同意可以申请平台介入。") % {
        "order": params["order"],
        "reason": params["reason"],
    }
    return words.gettext("退款申请被商家拒绝"), body


def _order_appeal(params: Params, words: Words) -> tuple[str, str]:
    if params["restored"]:
        body = words.gettext("订单 %(order)s 可以重新付款，请尽快完成支付。") % {
            "order": params["order"]
        }
        return words.gettext("申诉通过，订单已恢复"), body
    reason = words.gettext(NOT_RESTORED[params["reason"]])
    body = words.gettext("订单 %(order)s：%(reason)s") % {
        "order": params["order"],
        "reason": reason,
    }
    return words.gettext("申诉通过，但订单未能恢复"), body


def _coupon_expiring(params: Params, words: Words) -> tuple[str, str]:
    hours = params["hours"]
    title = words.ngettext(
        "优惠券「%(coupon)s」%(num)s 小时后过期", "优惠券「%(coupon)s」%(num)s 小时后过期", hours
    ) % {"coupon": params["coupon"], "num": hours}
    return title, words.gettext("别忘了在过期前使用。")


def _auction_outbid(params: Params, words: Words) -> tuple[str, str]:
    body = words.gettext("%(item)s 当前价 %(price)s") % {
        "item": params["item"],
        "price": words.money(params["price"]),
    }
    return words.gettext("你的出价已被超过"), body


WORDING: Mapping[NotificationKind, Callable[[Params, Words], tuple[str, str]]] = {
    NotificationKind.ROOM_LIVE: _room_live,
    NotificationKind.ROOM_STARTING: _room_starting,
    NotificationKind.ORDER_SHIPPED: _order_shipped,
    NotificationKind.ORDER_DELIVERED: _order_delivered,
    NotificationKind.PARCEL_EXCEPTION: _parcel_exception,
    NotificationKind.REFUND_DECIDED: _refund_decided,
    NotificationKind.COUPON_EXPIRING: _coupon_expiring,
    NotificationKind.AUCTION_OUTBID: _auction_outbid,
    NotificationKind.ROOM_PROMOTED: _room_promoted,
    NotificationKind.ORDER_APPEAL: _order_appeal,
}


def word_notice(
    kind: NotificationKind, params: Params | None, *, stored: tuple[str, str], words: Words
) -> Worded:
    """The notice in ``words``; one kept without parameters in the ``stored`` (title,
    body) it was written with, in Chinese."""
    if params is None:
        return Worded(*stored, lang=words_for(SOURCE_LOCALE).tag)
    title, body = WORDING[kind](params, words)
    return Worded(title, body, lang=words.tag)
