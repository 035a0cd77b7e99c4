"""The home page shows the recommended feed: picks with their reasons in Chinese,
and rooms in the recommended order with theirs (escaped, no internal codes)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.recommend.jobs import train_once
from tests.conftest import MakeAccount
from tests.recommend.helpers import allow_personalisation, events, merchants, product


def test_home_page_shows_picks_and_room_reasons(
    database_url: str, settings: Settings, make_account: MakeAccount, client: TestClient
) -> None:
    (shop,) = merchants(make_account, 1)
    tea = product(database_url, shop, "<b>Tea</b> & cake", "tea")
    cup = product(database_url, shop, "Cup", "cups")
    reader = make_account(Role.VIEWER, "reader")
    allow_personalisation(database_url, reader)
    crowd = [make_account(Role.VIEWER, f"crowd_{i}") for i in range(4)]
    for account in crowd:
        allow_personalisation(database_url, account)
    events(
        settings,
        [
            (a.id, kind, {"product_id": p})
            for a in crowd
            for kind, p in (("view", tea), ("cart", cup))
        ]
        + [(reader.id, "view", {"product_id": tea})],
    )
    newcomer = make_account(Role.HOST, "newcomer")
    with unit_of_work(database_url) as work:
        host = work.get_one(User, newcomer.id)
        room = live.create_room(work, host=host, title="First show")
        work.flush()
        live.start_room(work, actor=host, room_id=room.id)
    train_once(settings)

    page = client.get("/", headers=reader.headers)
    assert page.status_code == 200
    html = page.text
    assert 'id="for-you"' in html
    assert "因为你看过「&lt;b&gt;Tea&lt;/b&gt; &amp; cake」" in html  # the cup's reason, escaped
    assert f'href="/products/{cup}"' in html
    assert '<p class="room-reason">新主播</p>' in html
    assert "because_you_watched" not in html
    assert "new_host" not in html

    anonymous = client.get("/").text
    assert "因为你看过" not in anonymous
    assert "「tea」热卖" in anonymous or "「cups」热卖" in anonymous
