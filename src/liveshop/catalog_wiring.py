"""Product copy is checked against moderation's advertising-law rules.

``catalog`` may not import ``moderation`` (they share a layer), so this
top-layer module, imported once by the app, the CLI and the tests, hands
catalog its copy checker. Until it is imported, catalog saves no copy.
"""

from __future__ import annotations

from liveshop.catalog.copy_review import register_copy_checker
from liveshop.moderation.compliance import review_product_copy

register_copy_checker(review_product_copy)
