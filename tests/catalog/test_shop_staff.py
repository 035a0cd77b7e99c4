"""Shop staff by invitation: the owner invites, the invitee accepts or declines, the
owner lists and revokes. A user belongs to one shop, and an owner's shop stays theirs.

A merchant once added another merchant as staff, unasked (``POST
/api/shops/mine/staff``): that merchant's ``/api/shops/mine`` became the
attacker's shop, and their new products landed in it.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount


def _product(client: TestClient, merchant: Account, title: str = "茶叶") -> dict[str, Any]:
    created = client.post(
        "/api/products", json={"title": title, "price": 1_000, "stock": 3}, headers=merchant.headers
    )
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return product


def _invite(client: TestClient, owner: Account, user: Account) -> Any:
    return client.post(
        "/api/shops/mine/staff-invitations", json={"user_id": user.id}, headers=owner.headers
    )


def _mine(client: TestClient, user: Account) -> Any:
    return client.get("/api/shops/mine", headers=user.headers)


def test_a_merchant_cannot_take_over_another_merchants_shop(
    client: TestClient, make_account: MakeAccount
) -> None:
    attacker, victim = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    attackers_shop = _product(client, attacker)["shop_id"]
    victims_shop = _product(client, victim)["shop_id"]

    old_route = client.post(
        "/api/shops/mine/staff", json={"user_id": victim.id}, headers=attacker.headers
    )
    invited = _invite(client, attacker, victim)

    assert old_route.status_code == 405
    assert (invited.status_code, invited.json()) == (
        409,
        {
            "detail": f"user {victim.id} owns a shop: an owner never becomes another shop's staff",
            "code": "owns_a_shop",
        },
    )
    assert client.get("/api/staff-invitations/mine", headers=victim.headers).json() == []
    assert _mine(client, victim).json()["id"] == victims_shop
    assert _product(client, victim, "新品")["shop_id"] == victims_shop
    assert client.get("/api/shops/mine/staff", headers=attacker.headers).json() == []
    assert _mine(client, attacker).json()["id"] == attackers_shop


def test_an_invitation_is_accepted_by_the_invitee_only(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    owner, stranger = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    shop_id = _product(client, owner)["shop_id"]
    invitation = _invite(client, owner, host)
    assert invitation.status_code == 201, invitation.text
    invitation_id = invitation.json()["id"]
    assert (invitation.json()["shop_id"], invitation.json()["status"]) == (shop_id, "pending")
    assert _mine(client, host).status_code == 404  # nothing changes before the answer

    pending = client.get("/api/staff-invitations/mine", headers=host.headers).json()
    assert [(i["id"], i["shop_id"], i["shop_name"]) for i in pending] == [
        (invitation_id, shop_id, f"{owner.username}'s shop")
    ]
    for intruder in (stranger, owner):
        taken = client.post(
            f"/api/staff-invitations/{invitation_id}/accept", headers=intruder.headers
        )
        assert (taken.status_code, taken.json()["code"]) == (404, "invitation_not_found")
    assert _mine(client, stranger).status_code == 404

    accepted = client.post(f"/api/staff-invitations/{invitation_id}/accept", headers=host.headers)
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    assert _mine(client, host).json()["id"] == shop_id
    staff = client.get("/api/shops/mine/staff", headers=owner.headers).json()
    assert [(member["user_id"], member["username"]) for member in staff] == [
        (host.id, host.username)
    ]
    again = client.post(f"/api/staff-invitations/{invitation_id}/accept", headers=host.headers)
    assert (again.status_code, again.json()["code"]) == (409, "invitation_not_pending")


def test_a_declined_or_revoked_invitation_gives_no_access(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    owner, helper = make_account(Role.MERCHANT), make_account(Role.HOST)
    _product(client, owner)
    declined_id = _invite(client, owner, host).json()["id"]
    revoked_id = _invite(client, owner, helper).json()["id"]

    declined = client.post(f"/api/staff-invitations/{declined_id}/decline", headers=host.headers)
    revoked = client.delete(
        f"/api/shops/mine/staff-invitations/{revoked_id}", headers=owner.headers
    )
    late = client.post(f"/api/staff-invitations/{revoked_id}/accept", headers=helper.headers)

    assert (declined.status_code, declined.json()["status"]) == (200, "declined")
    assert revoked.status_code == 204
    assert (late.status_code, late.json()["code"]) == (409, "invitation_not_pending")
    listed = client.get("/api/shops/mine/staff-invitations", headers=owner.headers).json()
    assert [(i["user_id"], i["status"]) for i in listed] == [
        (helper.id, "revoked"),
        (host.id, "declined"),
    ]
    for user in (host, helper):
        assert _mine(client, user).status_code == 404
    assert client.get("/api/shops/mine/staff", headers=owner.headers).json() == []


def test_the_owner_removes_staff_and_staff_may_leave(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    owner, helper = make_account(Role.MERCHANT), make_account(Role.HOST)
    _product(client, owner)
    hire(client, owner, host)
    hire(client, owner, helper)

    not_owner = client.delete(f"/api/shops/mine/staff/{helper.id}", headers=host.headers)
    removed = client.delete(f"/api/shops/mine/staff/{host.id}", headers=owner.headers)
    left = client.delete(f"/api/shops/mine/staff/{helper.id}", headers=helper.headers)

    assert (not_owner.status_code, not_owner.json()["code"]) == (403, "not_shop_owner")
    assert (removed.status_code, left.status_code) == (204, 204)
    assert client.get("/api/shops/mine/staff", headers=owner.headers).json() == []
    assert _mine(client, host).status_code == 404
    assert _mine(client, helper).status_code == 404


def test_one_shop_per_user_and_only_owners_invite(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    first, second = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    regulator = make_account(Role.REGULATOR)
    _product(client, first)
    _product(client, second)
    hire(client, first, host)
    by_staff = _invite(client, host, regulator)
    second_shop = _invite(client, second, host)
    overseer = _invite(client, first, regulator)
    themselves = _invite(client, first, first)

    assert (by_staff.status_code, by_staff.json()["code"]) == (403, "not_shop_owner")
    assert second_shop.status_code == 201  # invited; accepting waits until they leave
    accept = client.post(
        f"/api/staff-invitations/{second_shop.json()['id']}/accept", headers=host.headers
    )
    assert (accept.status_code, accept.json()["code"]) == (409, "already_staff")
    assert (overseer.status_code, overseer.json()["code"]) == (403, "wrong_role")
    assert (themselves.status_code, themselves.json()["code"]) == (409, "owns_a_shop")
