"""Errors on page routes as pages: a 404, 403 or 500 on an HTML page gets a page in the
site's style with a way back, while ``/api`` (and any client that asks for JSON) keeps its
JSON errors. app.py's exception handlers call :func:`wants_page` and :func:`error_page`.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from liveshop.web.i18n import N_
from liveshop.web.templating import request_locale, templates_for

# What a person reads for each status (translated in the template); the error's own
# message is for developers.
HEADLINES = {
    400: (N_("请求有误"), N_("这个页面的地址或表单内容不对，请返回重试。")),
    401: (N_("请先登录"), N_("登录后才能打开这个页面。")),
    403: (N_("没有权限"), N_("你的账号不能打开这个页面。如果你认为这是误会，请换一个账号登录。")),
    404: (N_("找不到这个页面"), N_("它可能已被删除，或者地址有误。")),
    405: (N_("请求有误"), N_("这个页面不能这样打开。")),
    409: (N_("操作冲突"), N_("页面上的内容已经变化，请刷新后重试。")),
    422: (N_("请求有误"), N_("这个页面的地址或表单内容不对，请返回重试。")),
    429: (N_("操作太频繁"), N_("请稍等片刻再试。")),
}
SERVER_ERROR = (
    N_("出错了"),
    N_("服务器暂时无法完成这个请求，请稍后再试。我们已经记录了这个问题。"),
)
JSON_PREFIXES = ("/api/", "/api", "/healthz", "/metrics", "/ws/", "/sse/")


def wants_page(request: Request) -> bool:
    """True for a browser's page request: a GET/HEAD that accepts HTML, outside the API."""
    path = request.url.path
    if path.startswith(JSON_PREFIXES) or request.method not in ("GET", "HEAD"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status_code: int) -> HTMLResponse:
    """The site's error page for ``status_code``, with links back."""
    title, text = HEADLINES.get(status_code, SERVER_ERROR)
    if status_code < 400 or status_code >= 500:
        title, text = SERVER_ERROR
    response = templates_for(request_locale(request)).TemplateResponse(
        request,
        "error.html",
        {
            "user": None,
            "csrf_token": "",
            "status_code": status_code,
            "headline": title,
            "text": text,
            "login_next": request.url.path if status_code in (401, 403) else None,
        },
        status_code=status_code,
    )
    return response
