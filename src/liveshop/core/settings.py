"""One settings object, read from the environment (``LIVESHOP_*``)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"
VAULT_MASTER_KEY_FILE = "vault_master_key"
VAULT_MASTER_KEY_BYTES = 32  # AES-256

# Governance's defaults, by penalty kind (governance/models.py's PenaltyKind values):
# violation points per penalty, and the ladder that points climb.
DEFAULT_MODERATION_POINTS = {
    "delete_comment": 1,
    "mute": 1,
    "warning": 2,
    "limit_exposure": 3,
    "stop_room": 6,
    "fine": 0,
    "suspension": 0,  # the heavy penalties are outcomes, not further counts
    "ban": 0,
}
DEFAULT_MODERATION_LADDER: list[dict[str, Any]] = [
    {"points": 6, "kind": "warning"},
    {"points": 12, "kind": "fine", "amount": 50_000},  # 500 yuan from the deposit
    {"points": 24, "kind": "suspension", "days": 7},
    {"points": 48, "kind": "ban"},
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVESHOP_", extra="ignore")

    home: Path = Path("./.liveshop")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    vault_master_key: SecretStr | None = None  # base64 of 32 bytes
    environment: str = "development"

    tick_seconds: float = Field(default=0.1, gt=0, le=5)
    comment_max_length: int = 200
    comments_per_frame: int = 30
    comment_rate_per_second: float = 1.0
    comment_burst: int = 3
    counters_flush_seconds: float = 2.0
    token_ttl_days: int = 30

    order_payment_minutes: int = Field(default=15, ge=1)
    # Auctions on the Redis bid engine: the app writes the bids stream to SQL itself;
    # false leaves it to `liveshop auctions persist` workers (auctions/cli.py).
    auction_bid_persister: bool = True

    # Reviews, notifications and parcel tracking (issue 17).
    review_edit_hours: int = Field(default=72, ge=0)  # a review may be edited this long
    site_url: str = "http://127.0.0.1:8000"  # links in emails (one-click unsubscribe)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65_535)
    mail_from: str = "LiveShop <no-reply@liveshop.local>"
    notification_batch_size: int = Field(default=5_000, ge=1, le=100_000)  # per fan-out step
    notification_jobs_seconds: float = Field(default=2.0, gt=0)
    room_reminder_minutes: int = Field(default=10, ge=1, le=24 * 60)  # before a scheduled start
    tracking_webhook_secret: SecretStr | None = None  # else derived from the secret key
    sandbox_carrier_step_seconds: float = Field(default=60.0, gt=0)  # between sandbox scans
    flash_sale_payment_minutes: int = Field(default=5, ge=1)
    flash_sale_reference_days: int = Field(default=30, ge=1)
    order_expiry_check_seconds: float = Field(default=30.0, gt=0)

    # Recommendations (issue 14): retraining period and the top-10 diversity caps.
    recommend_train_minutes: float = Field(default=15.0, gt=0)
    recommend_max_per_shop: int = Field(default=3, ge=1, le=10)
    recommend_max_per_category: int = Field(default=4, ge=1, le=10)
    step_up_amount: int = Field(default=200_000, ge=0, description="分: from here up, a 2nd factor")
    # Passkeys (issue 17 §5): the WebAuthn relying party. None: the request's host (RP ID)
    # and scheme://host[:port] (origin), which suits one site on one name.
    webauthn_rp_id: str | None = None
    webauthn_origin: str | None = None
    # 分: the most a buyer may set as their daily limit for paying from a trusted device
    # without the step-up (0: the feature is off for everyone).
    seamless_pay_max_daily: int = Field(default=50_000, ge=0)
    # Risk control (liveshop.risk, core/risk.py): what each guarded path does when the
    # engine fails: "allow" (flagged) or "challenge". Unnamed paths keep core's defaults.
    risk_on_error: dict[str, str] = Field(default_factory=dict)
    # Rules text used instead of the stored versions (a fixed deployment, tests); "" is none.
    risk_rules: str | None = None
    sandbox_webhook_url: str | None = None  # deliver sandbox notifications over HTTP here
    after_sale_request_days: int = Field(default=7, ge=1)
    after_sale_merchant_hours: int = Field(default=48, ge=1)
    retention_interval_hours: float = Field(default=24.0, gt=0)  # privacy/jobs.py: purge passes

    # Basis points (1/100 of a percent), so fees are integer arithmetic on minor units.
    platform_fee_bps: int = Field(default=500, ge=0, le=10_000)
    host_commission_bps: int = Field(default=1_000, ge=0, le=10_000)
    # A viewer's share link's attributed paid order: the sharer's commission, from the shop's
    # payable (campaigns/commissions.py); 0 pays sharers nothing until the platform sets it.
    share_commission_bps: int = Field(default=0, ge=0, le=10_000)
    gift_host_share_bps: int = Field(default=5_000, ge=0, le=10_000)  # the rest: the platform
    red_packet_minutes: int = Field(default=10, ge=1, le=24 * 60)  # then what is left goes back

    # Deployment behind a proxy (cli.py serve, the demo): X-Forwarded-For and
    # X-Forwarded-Proto are believed only from these addresses (comma-separated, or "*").
    forwarded_allow_ips: str = "127.0.0.1"
    secure_cookies: bool = False  # behind a TLS proxy that does not say X-Forwarded-Proto
    # Pages of these origins may open the room's WebSocket, besides the site's own
    # (comma-separated, e.g. "https://shop.example,https://m.shop.example").
    allowed_origins: str = ""

    # Live video (media/): the media server (nginx with its RTMP module, `liveshop media
    # run`) as hosts and viewers reach it, and as LiveShop reaches it on this machine
    # (its statistics and control answer only 127.0.0.1).
    media_ingest_url: str = "rtmp://127.0.0.1:1935/live"  # OBS's "server"
    media_public_url: str = "http://127.0.0.1:8088"  # /hls/ playlists, /vod/ replays
    media_server_url: str = "http://127.0.0.1:8088"  # /stat, /control

    # Sign-in and sign-up limits (accounts/sign_in_guard.py). Counted per client
    # address: a crowd arriving from many addresses at once is never refused.
    sign_in_window_seconds: float = Field(default=60.0, gt=0)
    login_failures_per_address: int = Field(default=30, ge=1)  # per window, any accounts
    registrations_per_address: int = Field(default=20, ge=1)  # per window
    login_failures_before_lockout: int = Field(default=10, ge=1)  # of one account ...
    login_failure_window_seconds: float = Field(default=900.0, gt=0)  # ... within this long
    login_lockout_seconds: float = Field(default=300.0, gt=0)  # short: never a lasting denial
    # An address the account signed in from within this long is not locked out by
    # someone else's failures (it still is by its own).
    login_known_address_days: float = Field(default=30.0, ge=0)

    # Governance (LIVESHOP_MODERATION_*): violation points and the ladder, appeals,
    # reports, scores, age and gift limits, regulated categories. governance/config.py
    # reads them as a typed ModerationSettings (penalty kinds checked there).
    moderation_points_window_days: int = Field(default=90, ge=1)
    moderation_points: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_MODERATION_POINTS)
    )
    moderation_ladder: list[dict[str, Any]] = Field(
        default_factory=lambda: [dict(step) for step in DEFAULT_MODERATION_LADDER]
    )
    moderation_appeal_days: int = Field(default=7, ge=1)
    moderation_claim_minutes: int = Field(default=30, ge=1)  # then another moderator may
    moderation_currency: str = "CNY"
    moderation_score_base: int = Field(default=100, ge=1)
    moderation_score_per_point: int = Field(default=2, ge=0)
    moderation_score_per_complaint_percent: int = Field(default=3, ge=0)
    moderation_score_per_refund_percent: int = Field(default=1, ge=0)
    moderation_score_per_failed_inspection: int = Field(default=10, ge=0)
    moderation_score_window_days: int = Field(default=90, ge=1)
    moderation_flash_sale_min_score: int = Field(default=80, ge=0)
    moderation_minimum_host_age: int = Field(default=16, ge=0)
    moderation_adult_age: int = Field(default=18, ge=0)
    moderation_gift_daily_cap: int = Field(default=50_000, ge=0)  # coins
    moderation_gift_monthly_cap: int = Field(default=500_000, ge=0)
    moderation_gifts_require_verification: bool = False
    moderation_regulated_categories: frozenset[str] = frozenset({"food", "cosmetics", "health"})

    # Search (liveshop.search): the full-text engine. "tantivy": an index per database
    # under home/search-index, derived from search_documents and kept in step by the
    # queries themselves; "database": SQLite FTS5 or PostgreSQL's text search.
    search_engine: Literal["tantivy", "database"] = "tantivy"

    def search_index_path(self) -> Path:
        return self.ensure_home() / "search-index"

    def resolved_database_url(self) -> str:
        """The OLTP database: the given URL, or SQLite in ``home``."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return _sqlite_url(self.home)

    def event_store_path(self) -> Path:
        return self.ensure_home() / "events.duckdb"

    def websocket_allowed_origins(self) -> frozenset[str]:
        return frozenset(
            origin.strip().rstrip("/").lower()
            for origin in self.allowed_origins.split(",")
            if origin.strip()
        )

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)  # keys live here
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
        return read_or_create_key_file(path, new_secret_key).strip()

    def vault_master_key_path(self) -> Path:
        return self.ensure_home() / VAULT_MASTER_KEY_FILE

    def resolved_vault_master_key(self) -> bytes:
        """The card vault's master key (32 bytes): from the environment, else
        generated once into ``home`` (development only, like the secret key)."""
        if self.vault_master_key is not None:
            return decode_vault_key(self.vault_master_key.get_secret_value())
        if self.environment != "development":
            raise RuntimeError("LIVESHOP_VAULT_MASTER_KEY must be set outside development")
        path = self.vault_master_key_path()
        return decode_vault_key(read_or_create_key_file(path, new_vault_key))


def read_or_create_key_file(path: Path, new_key: Callable[[], str]) -> str:
    """The text of the key file ``path``, which is first created with ``new_key()`` if absent.

    The key is written whole to a temporary file that is mode 0600 from the moment it
    exists (never readable by others, whatever the umask), then hard-linked into
    place: a worker starting at the same moment never reads a half-written (empty)
    key, and when two create one, the first link wins and both use that key.
    """
    if path.exists():
        return path.read_text()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another worker's key came first
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text()


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def new_vault_key() -> str:
    return encode_vault_key(secrets.token_bytes(VAULT_MASTER_KEY_BYTES))


def encode_vault_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii") + "\n"


def decode_vault_key(text: str) -> bytes:
    """A vault key as written in the environment or a key file: base64 of 32 bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as error:
        raise RuntimeError("the vault master key is not valid base64") from error
    if len(raw) != VAULT_MASTER_KEY_BYTES:
        raise RuntimeError(f"the vault master key must be {VAULT_MASTER_KEY_BYTES} bytes")
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=64)
def _sqlite_url(home: Path) -> str:
    """SQLite in ``home``, created once per process: every request asks for the database
    URL, and its mkdir (failing with EEXIST) and path were 8 % of a bid's profiled CPU."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)  # keys live here
    return f"sqlite:///{home / 'liveshop.db'}"
