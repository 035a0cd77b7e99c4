"""The LiveShop error tree: every error a client can see has a code and a status."""

from __future__ import annotations

import math


class LiveShopError(Exception):
    """Base of all errors that reach a client; mapped to JSON by one handler."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def headers(self) -> dict[str, str]:
        """HTTP headers the response carries besides the JSON body."""
        return {}


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

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_seconds: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        if self.retry_after_seconds is None:
            return {}
        return {"Retry-After": str(max(1, math.ceil(self.retry_after_seconds)))}


class TooEarly(LiveShopError):
    status_code = 425
    code = "too_early"
