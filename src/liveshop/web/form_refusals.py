"""What the sign-in and sign-up forms say when they refuse, in the person's language.

The API's messages are English sentences for developers; a form shows the words
below, chosen by the refusal's code, and a generic sentence for a code it does not
know, so a Chinese page never shows an English one.
"""

from __future__ import annotations

import math

from liveshop.core.errors import LiveShopError, RateLimited
from liveshop.web.i18n import N_

FORM_REFUSALS = {
    "bad_credentials": N_("用户名或密码不正确"),
    "bad_username": N_("用户名需要 3-40 个字母、数字、下划线、横线或汉字"),
    "bad_password": N_("密码需要 8 到 256 个字符"),
    "password_too_simple": N_("密码太简单，请用更多不同的字符"),
    "password_too_common": N_("这是最常见的密码之一，请换一个"),
    "username_taken": N_("这个用户名已被注册，请换一个"),
    # What the risk checks' answers to a right password mean.
    "second_factor_required": N_(
        "本次登录需要二次验证：请再次输入密码，并填写身份验证器 App 中的 6 位验证码（或一个恢复码）"
    ),
    "wrong_second_factor": N_("验证码不正确，请重新输入密码和验证码"),
    "second_factor_locked": N_("验证码错误次数过多，已暂时锁定，请稍后再试"),
    "second_factor_unavailable": N_(
        "本次登录需要额外验证，但该账号没有可用的验证方式。请稍后再试，或联系客服"
    ),
    "risk_refused": N_("本次登录未通过安全检查，请稍后再试，或联系客服"),
    # A display name (昵称) refused (accounts.display_names).
    "display_name_too_long": N_("昵称最多 20 个字"),
    "display_name_invalid": N_("昵称里有不能显示的字符"),
    "display_name_refused": N_("这个昵称不能使用，请换一个"),
}
TRY_LATER = N_("尝试太频繁，请 %(seconds)s 秒后再试")
NOT_DONE = N_("没有成功，请检查填写的内容后再试")
ASKS_SECOND_FACTOR = frozenset({"second_factor_required", "wrong_second_factor"})


def form_refusal(error: LiveShopError) -> tuple[str, dict[str, int]]:
    """The message id to show for ``error`` and the values it is formatted with."""
    if error.code in FORM_REFUSALS:
        return FORM_REFUSALS[error.code], {}
    if isinstance(error, RateLimited) and error.retry_after_seconds is not None:
        return TRY_LATER, {"seconds": max(1, math.ceil(error.retry_after_seconds))}
    return NOT_DONE, {}
