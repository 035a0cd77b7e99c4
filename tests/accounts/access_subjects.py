"""Accounts' objects for the route-access walk (tests/access/routes.py): buyer A's
passkey, registered from one of their devices."""

from __future__ import annotations

import secrets

from liveshop.accounts.models import Passkey
from tests.access.rules import Subject
from tests.access.world import BUYER, Made, World


def _passkey(world: World) -> int:
    with world.session() as session:
        passkey = Passkey(
            user_id=world.buyer.id,
            credential_id=secrets.token_bytes(32),
            public_key=b"unused",
            name="手机",
            device_id="buyer-a-phone",
            trusted=True,
        )
        session.add(passkey)
        session.flush()
        return passkey.id


PASSKEY = Subject(
    "passkey",
    lambda world: Made(ids={"passkey_id": _passkey(world)}, parties={BUYER: world.buyer}),
)
