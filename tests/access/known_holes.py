"""Cells of the access table that are known to fail, each an expected failure
(strict): when the fix lands the cell passes, the strict mark fails, and its
entry comes out of this list. Empty: every cell holds.
"""

from __future__ import annotations

KNOWN_HOLES: dict[tuple[str, str, str], str] = {}
