"""Vault master key files: written atomically, readable by their owner only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from liveshop.core.db import unit_of_work
from liveshop.core.errors import InvalidInput
from liveshop.core.settings import Settings, decode_vault_key, encode_vault_key
from liveshop.payments import methods
from liveshop.payments.vault import MasterKey, Rotation


def read_key_file(path: Path) -> MasterKey:
    return MasterKey(decode_vault_key(path.read_text()))


def write_key_file(path: Path, key: MasterKey) -> None:
    """Write ``key`` to ``path`` atomically (a temporary file, fsync, rename), mode 0600:
    a crash leaves the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # A temporary file left by a crash keeps its mode through O_TRUNC: start afresh.
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(encode_vault_key(key.raw))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


@dataclass(frozen=True)
class KeyRotation:
    rotation: Rotation
    key_file: Path  # where the new key is
    environment_must_change: bool  # the running key comes from LIVESHOP_VAULT_MASTER_KEY


def rotate_master_key_file(
    settings: Settings, *, new_key_file: Path | None, actor: str
) -> KeyRotation:
    """Rotate the vault's master key: to the key in ``new_key_file`` if it exists,
    else to a new random key (written to ``new_key_file``, or beside the current
    key file).

    A generated key is on disk before the database commits, so no row ever
    depends on a key that is nowhere; the key file the application reads is
    replaced (atomically) only once the re-wrap has committed.
    """
    old = MasterKey(settings.resolved_vault_master_key())
    from_environment = settings.vault_master_key is not None
    home_file = settings.vault_master_key_path()
    staged: Path | None = None
    if new_key_file is not None and new_key_file.exists():
        new = read_key_file(new_key_file)
    else:
        if new_key_file is None and from_environment:
            raise InvalidInput(
                "the key comes from LIVESHOP_VAULT_MASTER_KEY: pass --new-key-file for the new one"
            )
        new = MasterKey.generate()
        staged = new_key_file or home_file.with_name(home_file.name + ".next")
        write_key_file(staged, new)
    try:
        with unit_of_work(settings.resolved_database_url()) as session:
            rotation = methods.rotate_vault_key(session, old=old, new=new, actor=actor)
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)  # it wraps nothing
        raise
    if from_environment:
        return KeyRotation(rotation, new_key_file or home_file, environment_must_change=True)
    if staged is not None and new_key_file is None:
        os.replace(staged, home_file)
    else:
        write_key_file(home_file, new)
    return KeyRotation(rotation, home_file, environment_must_change=False)
