"""Mail in the language its reader reads (issue 18 §2): an account keeps the language of
the pages its person signs in on or switches to, a notice's email is worded in it, and
mail a page asks for (a reset link) is in that page's language."""

from __future__ import annotations

import re
import time
from email.header import decode_header, make_header
from email.message import Message

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts import password_reset
from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.notifications.jobs import run_notification_jobs_once
from tests.conftest import PASSWORD, Account, MakeAccount
from tests.notifications.helpers import Inbox, mailing_client, smtp_sink
from tests.notifications.test_centre import _room

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def _locale(database_url: str, account: Account) -> str | None:
    with unit_of_work(database_url) as session:
        return session.scalars(select(User.locale).where(User.id == account.id)).one()


def _switch(client: TestClient, to: str, account: Account | None = None) -> None:
    headers = account.headers if account else {}
    switched = client.get(f"/locale?to={to}&next=/", headers=headers, follow_redirects=False)
    assert switched.status_code == 303


def test_the_language_switch_and_the_sign_in_page_set_the_account_language(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    reader, other = make_account(), make_account()
    assert _locale(database_url, reader) is None  # never said: mail in the source language
    _switch(client, "en")  # nobody signed in: no account changes
    _switch(client, "fr", reader)  # not one of the pages' languages
    assert (_locale(database_url, reader), _locale(database_url, other)) == (None, None)
    _switch(client, "en", reader)
    assert (_locale(database_url, reader), _locale(database_url, other)) == ("en", None)
    exported = client.get("/api/me/export", headers=reader.headers).json()
    assert exported["account"]["language"] == "en"  # the person's own data, exported

    client.cookies.set("liveshop_locale", "zh_CN")  # the sign-in page in Chinese
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login",
        data={"username": reader.username, "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    assert _locale(database_url, reader) == "zh_CN"


def _opt_in(client: TestClient, account: Account, address: str) -> None:
    chosen = client.put(
        "/api/notifications/preferences",
        json={"email": address, "kinds": {"room_live": {"in_app": True, "email": True}}},
        headers=account.headers,
    )
    assert chosen.status_code == 200, chosen.text


def test_a_notice_email_is_worded_in_the_language_its_recipient_reads(
    client: TestClient, database_url: str, make_account: MakeAccount, settings: Settings
) -> None:
    host, english, chinese = make_account(Role.HOST), make_account(), make_account()
    for follower, address in ((english, "en@example.com"), (chinese, "zh@example.com")):
        client.post(f"/api/hosts/{host.id}/follow", headers=follower.headers)
        _opt_in(client, follower, address)
    _switch(client, "en", english)
    client.post(f"/api/rooms/{_room(database_url, host)}/start", headers=host.headers)

    with smtp_sink() as (inbox, port):
        run_notification_jobs_once(settings.model_copy(update={"smtp_port": port}))
    mails = {message["To"]: _text(message) for message in inbox.messages}
    assert set(mails) == {"en@example.com", "zh@example.com"}
    assert f"{host.username} is live now" in mails["en@example.com"]
    assert not CJK.search(mails["en@example.com"].replace("春季上新", ""))  # the room's title
    assert "Unsubscribe from these emails: http" in mails["en@example.com"]
    assert f"{host.username} 开播了" in mails["zh@example.com"]
    assert "退订此类邮件：http" in mails["zh@example.com"]


def _text(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    return f"{_subject(message)}\n{body.decode()}"


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _wait(inbox: Inbox, count: int) -> list[Message]:
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.messages) == count
    return inbox.messages


def test_a_reset_link_is_mailed_in_the_language_of_the_page_that_asked(
    settings: Settings, make_account: MakeAccount
) -> None:
    password_reset.ask_limiter = password_reset.AskLimiter()  # a fresh window
    reader = make_account()
    with mailing_client(settings) as (client, inbox):
        english = {"Accept-Language": "en-GB,en;q=0.9"}
        set_email = client.put(
            "/api/auth/me/email",
            json={"email": "reader@example.com"},
            headers=reader.headers | english,
        )
        assert set_email.status_code == 200, set_email.text
        (confirmation,) = _wait(inbox, 1)
        assert _subject(confirmation).startswith("LiveShop email code ")
        assert not CJK.search(_text(confirmation))
        inbox.messages.clear()

        for language in ("en", "zh-CN"):
            asked = client.post(
                "/api/auth/password-reset",
                json={"email": "reader@example.com"},
                headers={"Accept-Language": language},
            )
            assert asked.status_code == 202
        english_mail, chinese_mail = _wait(inbox, 2)
    assert _subject(english_mail) == "Reset your LiveShop password"
    assert not CJK.search(_text(english_mail))
    assert _subject(chinese_mail) == "重设 LiveShop 密码"
    assert "分钟内有效" in _text(chinese_mail)
