"""The README's first command: the demo room fills with an audience that chats, pays,
sends gifts and grabs red packets, and the ledger verifies afterwards."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from liveshop.accounts.attempt_stores import MemoryAttemptStore
from liveshop.accounts.models import Role
from liveshop.accounts.sign_in import log_in
from liveshop.accounts.sign_in_guard import SignInGuard, SignInLimits
from liveshop.core.settings import Settings
from liveshop.demo.audience import EVASIVE_SPAM
from liveshop.wiring import connect_domains
from tests.conftest import SECRET_KEY
from tests.ports import free_port


def test_the_demo_audience_pays_gifts_and_grabs_red_packets(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    env |= {"LIVESHOP_HOME": str(tmp_path), "LIVESHOP_SECRET_KEY": SECRET_KEY, "COLUMNS": "200"}
    command = [sys.executable, "-m", "liveshop.cli", "demo", "--port", str(free_port())]
    command += ["--viewers", "10", "--seconds", "20", "--flash-sale-in", "3"]
    command += ["--comments-per-second", "20"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "ledger verified" in result.stdout
    _assert_the_printed_logins_sign_in(result.stdout, tmp_path)
    # The risk engine stops the demo's card tester (a second factor after two declines
    # and a third card) and its coupon bot (the sixth account on one phone).
    assert "risk stopped a card tester: 2 failed, 4 requires_action" in result.stdout
    assert "risk stopped a coupon bot: 5 grabbed, 3 risk_refused" in result.stdout
    with sqlite3.connect(tmp_path / "liveshop.db") as db:
        gifts = db.execute("SELECT count(*) FROM gift_sends").fetchone()[0]
        grabs = db.execute(
            "SELECT count(*) FROM red_packet_shares WHERE user_id IS NOT NULL"
        ).fetchone()[0]
        paid = db.execute(  # the demo viewer's two scarves were shipped (issue 17's journey)
            "SELECT count(*) FROM orders WHERE status IN ('PAID', 'SHIPPED', 'DELIVERED')"
        ).fetchone()[0]
        reviews = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
        scans = db.execute("SELECT count(*) FROM carrier_events").fetchone()[0]
        go_live = db.execute("SELECT count(*) FROM notification_fan_outs").fetchone()[0]
        captures = db.execute(
            "SELECT count(*) FROM ledger_transactions WHERE kind = 'order_paid'"
        ).fetchone()[0]
        chat = [text for (text,) in db.execute("SELECT text FROM comments")]
        unnamed = db.execute(  # a simulated buyer is masked from a display name (小**)
            "SELECT count(*) FROM users WHERE display_name IS NULL"
            " AND (username LIKE 'fan_%' OR username LIKE 'shopper_%')"
        ).fetchone()[0]
    assert gifts >= 1
    assert unnamed == 0
    assert grabs == 10  # the first red packet's ten shares, grabbed by fifteen fans
    assert paid >= 1
    assert captures == paid
    assert (reviews, scans, go_live) == (1, 5, 1)  # a review, a delivered parcel, a fan-out
    # About 3 % of the demo's chat is evasive spam: none of it reaches the room as typed.
    assert len(chat) > 100
    assert not set(chat) & set(EVASIVE_SPAM)
    assert any("*" in text for text in chat)
    assert not any("赌场" in text for text in chat)


def _assert_the_printed_logins_sign_in(printed: str, home: Path) -> None:
    """Every role the demo creates has a printed login (issue 18 §5), and each signs in."""
    logins = dict(re.findall(r"login \((\w+)\)\s*│\s*(\S+ / \S+)", printed))
    assert set(logins) == {role.value for role in Role}, printed
    guard = SignInGuard(MemoryAttemptStore(), SignInLimits.from_settings(Settings()))
    database_url = f"sqlite:///{home / 'liveshop.db'}"
    connect_domains()
    for role, login in logins.items():
        username, password = login.split(" / ")
        user, token = log_in(
            database_url, guard=guard, username=username, password=password, address="127.0.0.1"
        )
        assert (user.role.value, bool(token)) == (role, True)
    crowd = re.findall(r"login \(viewer, the audience\)\s*│\s*(\S+) … \S+ / (\S+)", printed)
    assert len(crowd) == 2, printed
    for username, password in crowd:
        user, _token = log_in(
            database_url, guard=guard, username=username, password=password, address="127.0.0.1"
        )
        assert user.role is Role.VIEWER
