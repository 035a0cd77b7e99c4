"""Shop staff for tests: the owner invites over HTTP, the invitee accepts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account


def hire(client: TestClient, owner: Account, staff: Account) -> None:
    """``staff`` acts for ``owner``'s shop from now on (invited, and accepted)."""
    invited = client.post(
        "/api/shops/mine/staff-invitations", json={"user_id": staff.id}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    accepted = client.post(
        f"/api/staff-invitations/{invited.json()['id']}/accept", headers=staff.headers
    )
    assert accepted.status_code == 200, accepted.text
