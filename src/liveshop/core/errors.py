"""The LiveShop error tree: every error a client can see has a code and a status."""

from __future__ import annotations


class LiveShopError(Exception):
    """Base of all errors that reach a client; mapped to JSON by one handler."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(LiveShopError):
    status_code = 422
    code = "invalid_input"


class NotAuthenticated(LiveShopError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(LiveShopError):
    status_code = 403
    code = "permission_denied"


class NotFound(LiveShopError):
    status_code = 404
    code = "not_found"


class Conflict(LiveShopError):
    status_code = 409
    code = "conflict"


class RateLimited(LiveShopError):
    status_code = 429
    code = "rate_limited"


class TooEarly(LiveShopError):
    status_code = 425
    code = "too_early"
