"""Every domain's tables, imported once so the metadata (and Alembic) see them all."""

from liveshop.accounts import models as accounts_models
from liveshop.assistant import models as assistant_models
from liveshop.auctions import models as auctions_models
from liveshop.campaigns import models as campaigns_models
from liveshop.catalog import models as catalog_models
from liveshop.core.audit import models as audit_models
from liveshop.governance import models as governance_models
from liveshop.governance.qualifications import models as qualification_models
from liveshop.live import models as live_models
from liveshop.media import models as media_models
from liveshop.notifications import models as notifications_models
from liveshop.orders import cart_models as cart_models
from liveshop.orders import models as orders_models
from liveshop.payments import models as payments_models
from liveshop.privacy import models as privacy_models
from liveshop.promotions import models as promotions_models
from liveshop.reviews import models as reviews_models
from liveshop.risk import models as risk_models
from liveshop.search import models as search_models
from liveshop.tracking import models as tracking_models

__all__ = [
    "accounts_models",
    "assistant_models",
    "auctions_models",
    "audit_models",
    "campaigns_models",
    "cart_models",
    "catalog_models",
    "governance_models",
    "live_models",
    "media_models",
    "notifications_models",
    "orders_models",
    "payments_models",
    "privacy_models",
    "promotions_models",
    "qualification_models",
    "reviews_models",
    "risk_models",
    "search_models",
    "tracking_models",
]
