"""What catalog asks of privacy: a shop outlives its owner's account only once
handed over or closed, so erasure waits for it."""

from __future__ import annotations

from sqlalchemy import select

from liveshop.catalog.models import Shop
from liveshop.privacy.registry import DataSubject


def shop_owned(subject: DataSubject) -> list[str]:
    shops = subject.session.scalars(select(Shop.id).where(Shop.owner_id == subject.user_id)).all()
    return [f"the shop {shop_id} must be handed over or closed first" for shop_id in shops]
