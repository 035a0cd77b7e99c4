"""The card vault through the API and the service: validation, tokens, duplicates,
ownership, reveal with audit, key rotation, and no number anywhere it should not be."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.cli import app as cli_app
from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput
from liveshop.core.settings import Settings, get_settings
from liveshop.payments import vault
from liveshop.payments.key_files import read_key_file, rotate_master_key_file, write_key_file
from liveshop.payments.models import PaymentMethod, VaultAudit, VaultCard
from liveshop.payments.vault import MasterKey, VaultIntegrityError, VaultKeyMismatch
from tests.conftest import MakeAccount

# Stripe's public test numbers, and CVCs unlikely to occur anywhere by chance.
CARDS = {
    "4242424242424242": ("visa", "731"),
    "4000000000000002": ("visa", "864"),
    "5555555555554444": ("mastercard", "592"),
    "378282246310005": ("amex", "4817"),
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The vault's behaviour does not depend on the database: SQLite only."""
    return sqlite_url


def _card(number: str, cvc: str | None = None, **changes: object) -> dict[str, object]:
    return {
        "card_number": number,
        "exp_month": 12,
        "exp_year": 2099 - 70,  # 2029: inside the 25-year window
        "cvc": cvc or CARDS.get(number, ("", "123"))[1],
        "holder": "ZHANG SAN",
        "save_consent": True,
    } | changes


def _master(settings: Settings) -> MasterKey:
    return MasterKey(settings.resolved_vault_master_key())


def test_a_card_comes_back_as_brand_and_last_four(
    client: TestClient, make_account: MakeAccount
) -> None:
    buyer = make_account(Role.VIEWER)
    added = [
        client.post("/api/payment-methods", json=_card(number), headers=buyer.headers)
        for number in CARDS
    ]
    assert [response.status_code for response in added] == [201, 201, 201, 201]
    bodies = [response.json() for response in added]
    assert [(b["brand"], b["last4"], b["is_default"]) for b in bodies] == [
        ("visa", "4242", True),
        ("visa", "0002", False),
        ("mastercard", "4444", False),
        ("amex", "0005", False),
    ]
    assert set(bodies[0]) == {
        "id",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "holder",
        "is_default",
        "saved",
    }
    assert (bodies[0]["exp_month"], bodies[0]["exp_year"]) == (12, 2029)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_card("4242424242424241"), "bad_card_number"),  # checksum
        (_card("4242 4242"), "bad_card_number"),  # too short once spaces go
        (_card("4242424242424242", exp_year=2020), "card_expired"),
        (_card("4242424242424242", cvc="12"), "bad_cvc"),
        (_card("378282246310005", cvc="123"), "bad_cvc"),  # amex has four digits
        (_card("9999999999999995"), "unsupported_card"),
    ],
)
def test_invalid_cards_are_422_with_a_message(
    client: TestClient, make_account: MakeAccount, body: dict[str, object], code: str
) -> None:
    buyer = make_account(Role.VIEWER)
    response = client.post("/api/payment-methods", json=body, headers=buyer.headers)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert str(body["card_number"]).replace(" ", "") not in response.text
    assert client.get("/api/payment-methods", headers=buyer.headers).json() == []


def test_schema_errors_are_422_and_never_echo_the_input(
    client: TestClient, make_account: MakeAccount
) -> None:
    buyer = make_account(Role.VIEWER)
    body = _card("4242424242424242", exp_month=13)
    del body["holder"]
    response = client.post("/api/payment-methods", json=body, headers=buyer.headers)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "exp_month"]]
    assert "4242424242424242" not in response.text


def test_the_same_card_twice_is_one_method_per_user(
    client: TestClient, make_account: MakeAccount
) -> None:
    anna, bo = make_account(Role.VIEWER), make_account(Role.VIEWER)
    first = client.post(
        "/api/payment-methods", json=_card("5555555555554444"), headers=anna.headers
    )
    # Typed with spaces this time, and another expiry: still the same card.
    again = client.post(
        "/api/payment-methods",
        json=_card("5555 5555 5555 4444", exp_year=2031),
        headers=anna.headers,
    )
    other_user = client.post(
        "/api/payment-methods", json=_card("5555555555554444"), headers=bo.headers
    )
    assert (first.status_code, again.status_code, other_user.status_code) == (201, 200, 201)
    assert again.json() == first.json()
    assert other_user.json()["id"] != first.json()["id"]
    assert len(client.get("/api/payment-methods", headers=anna.headers).json()) == 1


def test_another_users_method_does_not_exist_for_you(
    client: TestClient, make_account: MakeAccount
) -> None:
    owner, stranger = make_account(Role.VIEWER), make_account(Role.VIEWER)
    method = client.post(
        "/api/payment-methods", json=_card("4242424242424242"), headers=owner.headers
    ).json()
    removed = client.delete(f"/api/payment-methods/{method['id']}", headers=stranger.headers)
    defaulted = client.post(
        f"/api/payment-methods/{method['id']}/default", headers=stranger.headers
    )
    assert (removed.status_code, defaulted.status_code) == (404, 404)
    assert removed.json()["code"] == "payment_method_not_found"
    assert client.get("/api/payment-methods", headers=stranger.headers).json() == []
    assert client.get("/api/payment-methods", headers=owner.headers).json() == [method]


def test_default_moves_and_a_removed_card_is_shredded(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    buyer = make_account(Role.VIEWER)
    first, second = (
        client.post("/api/payment-methods", json=_card(number), headers=buyer.headers).json()
        for number in ("4242424242424242", "5555555555554444")
    )
    made = client.post(f"/api/payment-methods/{second['id']}/default", headers=buyer.headers)
    assert made.json()["is_default"] is True
    listed = client.get("/api/payment-methods", headers=buyer.headers).json()
    assert [(m["id"], m["is_default"]) for m in listed] == [
        (second["id"], True),
        (first["id"], False),
    ]
    assert (
        client.delete(f"/api/payment-methods/{second['id']}", headers=buyer.headers).status_code
        == 204
    )
    listed = client.get("/api/payment-methods", headers=buyer.headers).json()
    assert [(m["id"], m["is_default"]) for m in listed] == [(first["id"], True)]
    with unit_of_work(database_url) as session:
        token = session.get_one(PaymentMethod, second["id"]).vault_token
        assert session.scalars(select(VaultCard).where(VaultCard.token == token)).all() == []
        audit = session.scalars(select(VaultAudit).where(VaultAudit.token == token)).one()
        assert (audit.action, audit.actor) == ("shred", f"user:{buyer.id}")
    # Removed cards can be added again, as a new method.
    again = client.post(
        "/api/payment-methods", json=_card("5555555555554444"), headers=buyer.headers
    )
    assert again.status_code == 201
    assert again.json()["id"] != second["id"]


def test_reveal_returns_the_number_and_leaves_an_audit_row(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    buyer = make_account(Role.VIEWER)
    method = client.post(
        "/api/payment-methods", json=_card("4000000000000002"), headers=buyer.headers
    ).json()
    with unit_of_work(database_url) as session:
        token = session.get_one(PaymentMethod, method["id"]).vault_token
        assert token.startswith("tok_")
        number = vault.reveal_number(
            session,
            master=_master(settings),
            token=token,
            actor="gateway:sandbox",
            reason="capture",
        )
        with pytest.raises(InvalidInput):
            vault.reveal_number(
                session, master=_master(settings), token=token, actor="gateway", reason=" "
            )
    assert number == "4000000000000002"
    with unit_of_work(database_url) as session:
        rows = session.scalars(select(VaultAudit).where(VaultAudit.action == "reveal")).all()
        assert [(r.token, r.actor, r.reason) for r in rows] == [
            (token, "gateway:sandbox", "capture")
        ]


def test_rotation_rewraps_every_card_and_retires_the_old_key(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    buyer = make_account(Role.VIEWER)
    ids = [
        client.post("/api/payment-methods", json=_card(number), headers=buyer.headers).json()["id"]
        for number in CARDS
    ]
    old = _master(settings)
    new_key_file = tmp_path / "next.key"
    outcome = rotate_master_key_file(settings, new_key_file=new_key_file, actor="test")
    new = read_key_file(new_key_file)
    assert (outcome.rotation.old_version, outcome.rotation.new_version) == (1, 2)
    assert outcome.rotation.cards == 4
    assert _master(settings) == new  # the application's key file now holds the new key
    assert settings.vault_master_key_path().stat().st_mode & 0o777 == 0o600
    with unit_of_work(database_url) as session:
        methods = [session.get_one(PaymentMethod, method_id) for method_id in ids]
        revealed = [
            vault.reveal_number(session, master=new, token=m.vault_token, actor="t", reason="t")
            for m in methods
        ]
        assert revealed == list(CARDS)
        with pytest.raises(VaultKeyMismatch):
            vault.reveal_number(
                session, master=old, token=methods[0].vault_token, actor="t", reason="t"
            )
        # Not just refused by the version check: the old key cannot open a data key.
        for card in session.scalars(select(VaultCard)).all():
            assert card.master_version == 2
            with pytest.raises(InvalidTag):
                AESGCM(old.raw).decrypt(
                    card.wrapped_data_key[:12],
                    card.wrapped_data_key[12:],
                    f"liveshop data key|{card.token}|v2".encode(),
                )
    # Fingerprints were re-keyed: the same card is still recognised.
    again = client.post(
        "/api/payment-methods", json=_card("4242424242424242"), headers=buyer.headers
    )
    assert (again.status_code, again.json()["id"]) == (200, ids[0])


def test_a_tampered_card_fails_loudly_and_rotation_keeps_nothing(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> None:
    buyer = make_account(Role.VIEWER)
    client.post("/api/payment-methods", json=_card("4242424242424242"), headers=buyer.headers)
    with unit_of_work(database_url) as session:
        card = session.scalars(select(VaultCard)).one()
        card.number_ciphertext = card.number_ciphertext[:-1] + bytes(
            [card.number_ciphertext[-1] ^ 1]
        )
    old = _master(settings)
    with pytest.raises(VaultIntegrityError):
        rotate_master_key_file(settings, new_key_file=None, actor="test")
    assert _master(settings) == old
    assert not settings.vault_master_key_path().with_name("vault_master_key.next").exists()


def test_an_environment_key_needs_a_key_file_to_rotate_to(
    settings: Settings, tmp_path: Path
) -> None:
    key = MasterKey.generate()
    configured = Settings(
        **(settings.model_dump() | {"vault_master_key": base64.b64encode(key.raw).decode()})
    )
    with pytest.raises(InvalidInput):
        rotate_master_key_file(configured, new_key_file=None, actor="test")
    target = tmp_path / "new.key"
    write_key_file(target, MasterKey.generate())
    outcome = rotate_master_key_file(configured, new_key_file=target, actor="test")
    assert outcome.environment_must_change
    assert outcome.key_file == target


def _is_random_material(value: object) -> bool:
    """Ciphertexts, tokens, hashes and key ids, whose digits are noise."""
    if isinstance(value, bytes):
        return True
    text_value = str(value)
    return bool(re.fullmatch(r"[0-9a-f]{32,}|tok_[A-Za-z0-9_\-]+|\$argon2.*", text_value))


def _cells(database_url: str) -> list[str]:
    """Every value of every table, as text (dates and random material excluded)."""
    values: list[str] = []
    with unit_of_work(database_url) as session:
        tables = session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
        for table in tables:
            for row in session.execute(text(f'SELECT * FROM "{table}"')).mappings():
                values.extend(
                    str(value)
                    for column, value in row.items()
                    if not column.endswith("_at")
                    and column != "at"
                    and not _is_random_material(value)
                )
    return values


def test_no_card_number_or_cvc_is_stored_logged_or_sent(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    buyer = make_account(Role.VIEWER)
    bodies: list[str] = []
    for number in CARDS:
        for attempt in (_card(number), _card(number), _card(number, exp_year=2001)):
            response = client.post("/api/payment-methods", json=attempt, headers=buyer.headers)
            bodies.append(response.text)
    listed = client.get("/api/payment-methods", headers=buyer.headers)
    bodies.append(listed.text)
    first = listed.json()[1]["id"]
    bodies.append(client.post(f"/api/payment-methods/{first}/default", headers=buyer.headers).text)
    bodies.append(client.delete(f"/api/payment-methods/{first}", headers=buyer.headers).text)
    database_file = Path(database_url.removeprefix("sqlite:///"))
    stored = b"".join(
        path.read_bytes()
        for path in database_file.parent.iterdir()
        if path.name.startswith(database_file.name)  # the database, its WAL and shm
    )
    cells = _cells(database_url)
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    for number, (_brand, cvc) in CARDS.items():
        assert number.encode() not in stored
        assert number not in logged
        assert all(number not in body for body in bodies)
        assert not any(cvc in cell for cell in cells)
        assert cvc not in logged
        assert all(cvc not in body for body in bodies)
    assert len(listed.json()) == 4


def test_the_cli_rotates_the_key_file_in_place(
    client: TestClient,
    make_account: MakeAccount,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buyer = make_account(Role.VIEWER)
    client.post("/api/payment-methods", json=_card("378282246310005"), headers=buyer.headers)
    old = _master(settings)
    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVESHOP_HOME", str(settings.home))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["vault", "rotate-key"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "v1 -> v2: 1 cards re-wrapped" in result.output
    new = _master(settings)
    assert new != old
    assert not settings.vault_master_key_path().with_name("vault_master_key.next").exists()
    with unit_of_work(database_url) as session:
        token = session.scalars(select(PaymentMethod.vault_token)).one()
        number = vault.reveal_number(session, master=new, token=token, actor="t", reason="t")
    assert number == "378282246310005"
