"""Input types shared by every domain's schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, HttpUrl

IMAGE_URL_LENGTH = 2000


def _url_at_most(length: int) -> Callable[[HttpUrl], HttpUrl]:
    """Bound the normalised URL (a trailing slash, percent-encoding), which is what
    is stored and sent back, so it always fits the column and validates again."""

    def check(url: HttpUrl) -> HttpUrl:
        if len(str(url)) > length:
            raise ValueError(f"the URL is over {length} characters")
        return url

    return check


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("the text contains a NUL character, which cannot be stored")
    return text


PlainText = Annotated[str, AfterValidator(_without_nul)]
ImageUrl = Annotated[HttpUrl, AfterValidator(_url_at_most(IMAGE_URL_LENGTH))]
