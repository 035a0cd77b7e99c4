"""Risk's pages: the analysts' review queue with the evidence, and the merchant's
held requests (status and the appeal route only, never the reasons)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts.dependencies import OptionalUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.risk import RiskPath
from liveshop.risk import access, cases
from liveshop.risk.cases import LABELS
from liveshop.risk.models import CaseStatus
from liveshop.risk.schemas import held_out
from liveshop.web.i18n import N_
from liveshop.web.pages import _render, login_redirect

router = APIRouter()
SHOWN_FEATURES = 12  # the features most beyond legit behaviour, for one case
# The analysts' labels and the guarded paths as people name them (marked for the catalogues).
LABEL_NAMES = {
    "legit": N_("正常"),
    "card_testing": N_("盗卡试刷"),
    "account_takeover": N_("盗号"),
    "coupon_farming": N_("薅券"),
    "flash_sale_bot": N_("秒杀机器人"),
    "brushing_ring": N_("刷单团伙"),
    "refund_abuse": N_("恶意退款"),
    "other_abuse": N_("其他滥用"),
}
PATH_NAMES = {
    RiskPath.LOGIN: N_("登录"),
    RiskPath.PAYMENT: N_("支付"),
    RiskPath.ORDER: N_("下单"),
    RiskPath.COUPON_GRAB: N_("抢券"),
    RiskPath.RED_PACKET_GRAB: N_("抢红包"),
    RiskPath.FLASH_BUY: N_("秒杀"),
    RiskPath.REFUND: N_("退款"),
}
# What the merchant may know of a hold: where its review stands (never why).
HELD_STATUS_NAMES = {
    CaseStatus.OPEN: N_("等待审核"),
    CaseStatus.CONFIRMED: N_("审核后拒绝"),
    CaseStatus.CLEARED: N_("审核后放行"),
}

# What a case is about ("order:12", risk's guarded paths), in words: 订单 12.
SUBJECT_NAMES = {
    "user": N_("用户 %(id)s"),
    "order": N_("订单 %(id)s"),
    "payment": N_("支付 %(id)s"),
    "flash_sale": N_("秒杀 %(id)s"),
    "after_sale": N_("售后 %(id)s"),
    "coupon": N_("优惠券 %(id)s"),
    "red_packet": N_("红包 %(id)s"),
}
SUBJECT = re.compile(r"^(?P<kind>[a-z_]+):(?P<id>\d+)$")
# The engine's reasons (risk/engine.py): a rule that fired, as its operator wrote it, and the
# model's features beyond what legit users show (risk/model.py explain).
RULE_REASON = re.compile(r"^rule: (?P<rule>.+)$")
MODEL_REASON = re.compile(r"^model: (?P<feature>\w+)=(?P<value>\S+) \(legit p99 (?P<high>\S+)\)$")


@dataclass(frozen=True)
class ReasonView:
    """A reason as the page shows it: its kind in words, the rule or feature as code."""

    kind: str  # "rule", "model" or "other" (shown as the engine wrote it)
    code: str  # the rule's text, the feature's name, or the reason as written
    value: str = ""
    high: str = ""


def reason_view(reason: str) -> ReasonView:
    if match := RULE_REASON.match(reason):
        return ReasonView("rule", match["rule"])
    if match := MODEL_REASON.match(reason):
        return ReasonView("model", match["feature"], match["value"], match["high"])
    return ReasonView("other", reason)


def subject_words(subject: str) -> tuple[str, dict[str, str]] | None:
    """The message id and values naming ``subject``, or None for a kind it has no words for."""
    match = SUBJECT.match(subject)
    if match is None or match["kind"] not in SUBJECT_NAMES:
        return None
    return SUBJECT_NAMES[match["kind"]], {"id": match["id"]}


@router.get("/risk", response_class=HTMLResponse, include_in_schema=False)
def review_page(
    request: Request, settings: SettingsDep, user: OptionalUser, session: DbSession
) -> Response:
    if user is None:
        return login_redirect("/risk")
    queue = cases.review_queue(session, analyst=user)
    return _render(
        request,
        "risk_queue.html",
        settings,
        user,
        cases=queue,
        labels=LABELS,
        label_names=LABEL_NAMES,
        path_names={path.value: name for path, name in PATH_NAMES.items()},
        reason_view=reason_view,
        subject_words=subject_words,
    )


@router.get("/risk/held", response_class=HTMLResponse, include_in_schema=False)
def held_page(
    request: Request, settings: SettingsDep, user: OptionalUser, session: DbSession
) -> Response:
    if user is None:
        return login_redirect("/risk/held")
    access.require_merchant(user)
    held_cases = cases.held_for_merchant(session, merchant=user)
    status_names = {case.id: HELD_STATUS_NAMES[case.status] for case in held_cases}
    held = [held_out(case) for case in held_cases]
    return _render(request, "risk_held.html", settings, user, held=held, status_names=status_names)
