"""The demo's one console: its status spinner and the scenes' lines share it."""

from __future__ import annotations

from rich.console import Console

console = Console()
