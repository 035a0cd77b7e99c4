"""Key files LiveShop generates under LIVESHOP_HOME: mode 0600 from their creation,
and never read half-written by a worker starting at the same moment."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from liveshop.core.settings import Settings
from liveshop.payments.key_files import read_key_file, write_key_file
from liveshop.payments.vault import MasterKey


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The worst umask: anything not asked for explicitly would be world-readable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_generated_keys_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", environment="development")

    secret_key = settings.resolved_secret_key()
    vault_key = settings.resolved_vault_master_key()

    assert len(secret_key) == 64
    assert len(vault_key) == 32
    assert _mode(tmp_path / "home") == 0o700
    assert _mode(tmp_path / "home" / "secret_key") == 0o600
    assert _mode(tmp_path / "home" / "vault_master_key") == 0o600
    assert sorted(path.name for path in (tmp_path / "home").iterdir()) == [
        "secret_key",
        "vault_master_key",
    ]


def _at_once(read: Callable[[], object], times: int) -> tuple[list[object], list[str]]:
    results: list[object] = []
    errors: list[str] = []
    start = threading.Barrier(times)

    def run() -> None:
        start.wait()
        try:
            results.append(read())
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_workers_starting_together_all_read_the_one_whole_key(tmp_path: Path) -> None:
    """Was: a worker read the file another had just created but not yet written, and
    signed with an empty key (69 trials in 200 with six threads)."""
    for trial in range(100):
        home = tmp_path / f"home{trial}"
        secret_keys, secret_errors = _at_once(
            lambda home=home: Settings(home=home).resolved_secret_key(), 6
        )
        vault_keys, vault_errors = _at_once(
            lambda home=home: Settings(home=home).resolved_vault_master_key(), 6
        )

        assert (secret_errors, vault_errors) == ([], [])
        assert secret_keys == [(home / "secret_key").read_text().strip()] * 6
        assert vault_keys == [read_key_file(home / "vault_master_key").raw] * 6
        assert len(str(secret_keys[0])) == 64


@pytest.mark.usefixtures("permissive_umask")
def test_a_rotated_vault_key_file_is_0600_even_over_a_stale_temporary_file(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "vault_master_key"
    stale = tmp_path / f".vault_master_key.{os.getpid()}.tmp"
    stale.write_text("left by a crash")
    stale.chmod(0o644)

    write_key_file(key_file, MasterKey(b"k" * 32))

    assert _mode(key_file) == 0o600
    assert read_key_file(key_file).raw == b"k" * 32
    assert not stale.exists()
