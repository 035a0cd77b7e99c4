"""One settings object, read from the environment (``LIVESHOP_*``)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVESHOP_", extra="ignore")

    home: Path = Path("./.liveshop")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    environment: str = "development"

    tick_seconds: float = Field(default=0.1, gt=0, le=5)
    comment_max_length: int = 200
    comments_per_frame: int = 30
    comment_rate_per_second: float = 1.0
    comment_burst: int = 3
    counters_flush_seconds: float = 2.0
    token_ttl_days: int = 30

    order_payment_minutes: int = Field(default=15, ge=1)
    flash_sale_payment_minutes: int = Field(default=5, ge=1)
    flash_sale_reference_days: int = Field(default=30, ge=1)
    order_expiry_check_seconds: float = Field(default=30.0, gt=0)
    after_sale_request_days: int = Field(default=7, ge=1)
    after_sale_merchant_hours: int = Field(default=48, ge=1)

    def resolved_database_url(self) -> str:
        """The OLTP database: the given URL, or SQLite in ``home``."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.ensure_home() / 'liveshop.db'}"

    def event_store_path(self) -> Path:
        return self.ensure_home() / "events.duckdb"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def resolved_secret_key(self) -> str:
        """The signing key: from the environment, else generated once into ``home``.

        Outside development a key must come from the environment, so a
        production deployment never signs with a key lying on local disk by accident.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.environment != "development":
            raise RuntimeError("LIVESHOP_SECRET_KEY must be set outside development")
        path = self.ensure_home() / SECRET_KEY_FILE
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
