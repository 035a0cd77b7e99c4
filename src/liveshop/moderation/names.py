"""The text filter's rule for a display name (accounts.display_names registers it)."""

from __future__ import annotations

from liveshop.moderation.engine import default_moderator
from liveshop.moderation.lists import Action, Surface


def display_name_allowed(name: str) -> bool:
    """True when the filter finds nothing in the name under the name rules: a name is shown
    whole wherever its person appears, so a mask or a hold for review refuses it too."""
    return default_moderator().moderate(name, surface=Surface.USERNAME).action is Action.ALLOW
