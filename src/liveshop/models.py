"""Every domain's tables, imported once so the metadata (and Alembic) see them all."""

from liveshop.accounts import models as accounts_models
from liveshop.live import models as live_models

__all__ = ["accounts_models", "live_models"]
