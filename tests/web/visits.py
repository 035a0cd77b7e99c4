"""A browser test's visit to a page (the page scan's and the back office's language tests):
who is signed in, the path, what to wait for before reading it, and the sheets and dialogs a
person opens on it by a tap, each read as the page is read (tests/web/test_page_scan.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from liveshop.accounts.models import User

# Where the page has settled: its scripts have drawn what the test reads.
Ready = Callable[[Page], None]


def press_escape(page: Page) -> None:
    """Closes the page's open sheet, as a keyboard's Escape does (static/commerce.js)."""
    page.keyboard.press("Escape")
    expect(page.locator(".sheet:not([hidden])")).to_have_count(0)


@dataclass(frozen=True)
class Opening:
    """Something a tap shows on the page: ``show`` taps the control a person would tap and
    waits until it is shown (a sheet risen to its place); ``close`` puts the page back, or
    None leaves it as it is (for the visit's next opening, a step further, or the next visit)."""

    label: str
    show: Ready
    close: Ready | None = press_escape


@dataclass(frozen=True)
class Visit:
    user: User | None
    path: str
    ready: Ready | None = None
    openings: tuple[Opening, ...] = ()


def sheet_shown(page: Page, selector: str) -> None:
    """Waits for a sheet to be shown and done rising (its animation, app.css's sheet-up)."""
    sheet = page.locator(selector)
    expect(sheet).to_be_visible()
    page.wait_for_function(
        "(sheet) => sheet.getAnimations().every((run) => run.playState === 'finished')",
        arg=sheet.element_handle(),
    )
