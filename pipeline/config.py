"""Settings, read once at the edges (CLI, flow wiring, web app) and passed down frozen."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "sohoa"}
#: Memory one worker may spend on one page (MB): a 600-dpi A3 colour page (7016 × 9921,
#: 70 MP of the 80 MP budget) is processed at full size.
DEFAULT_PAGE_MEMORY_MB = 768


class Settings(BaseSettings):
    """Everything configurable, from ``SOHOA_*`` environment variables.

    With nothing set, sohoa runs on embedded defaults: SQLite and a local S3
    server under ``SOHOA_HOME`` (./var), Prefect without a server.
    """

    model_config = SettingsConfigDict(env_prefix="SOHOA_", frozen=True, extra="ignore")

    home: Path = Path("var")
    env: str = "development"
    database_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "sohoa"
    s3_secure: bool = False
    s3_region: str | None = None
    phase_plan: Path | None = None
    ocr_lang: str = "vie"
    ocr_timeout: int = 180
    review_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    #: seconds a batch waits after each storage/database failure in a row before it stops
    #: with exit code 5 (``SOHOA_RETRY_DELAYS='[2, 5, 15, 30]'``)
    retry_delays: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0)
    #: memory per worker for one page (MB): larger pages are reduced on decode or refused
    page_memory_mb: int = Field(default=DEFAULT_PAGE_MEMORY_MB, ge=128)
    keep_intermediates: bool = False
    #: force one document kind for every page (``--schema``), instead of detecting it
    force_kind: str | None = None
    #: signs CSRF tokens of the web UI; required outside development
    secret_key: str | None = Field(default=None, repr=False)
    #: send the session cookie only over HTTPS; unset: on everywhere but in development
    cookie_secure: bool | None = None
    #: reverse proxies (addresses or networks, comma-separated) whose ``proxy_header`` names
    #: the client; none by default: the socket peer is the client
    trusted_proxies: str = ""
    proxy_header: str = "X-Forwarded-For"
    session_hours: int = Field(default=12, ge=1, le=24 * 7)
    lock_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @property
    def home_abs(self) -> Path:
        """SOHOA_HOME as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def db_url(self) -> str:
        """The database URL (SQLite under SOHOA_HOME by default)."""
        return self.database_url or f"sqlite:///{self.home_abs / 'sohoa.db'}"

    @property
    def session_cookie_secure(self) -> bool:
        """Whether cookies get the Secure flag (SOHOA_COOKIE_SECURE, else: not in development)."""
        return self.env != "development" if self.cookie_secure is None else self.cookie_secure

    @property
    def work_dir(self) -> Path:
        """Scratch space for intermediates of running batches."""
        return self.home_abs / "work"

    def check_production(self) -> None:
        """Refuse placeholder secrets outside development."""
        if self.env == "development":
            return
        if self.s3_endpoint and (self.s3_secret_key or "") in PLACEHOLDER_SECRETS:
            raise ConfigError("SOHOA_S3_SECRET_KEY chưa đặt hoặc là giá trị mẫu")


MIN_SECRET_CHARS = 32


def web_secret(s: Settings) -> str:
    """The web UI's secret key.

    Outside development ``SOHOA_SECRET_KEY`` must be set (at least 32 characters, not a
    placeholder). In development, a random key is generated once and kept in
    ``SOHOA_HOME/secret_key`` (readable by the owner only).

    Raises:
        ConfigError: outside development without a usable ``SOHOA_SECRET_KEY``.
    """
    if s.secret_key:
        if s.env != "development" and (
            s.secret_key in PLACEHOLDER_SECRETS or len(s.secret_key) < MIN_SECRET_CHARS
        ):
            raise ConfigError("SOHOA_SECRET_KEY là giá trị mẫu hoặc ngắn hơn 32 ký tự")
        return s.secret_key
    if s.env != "development":
        raise ConfigError("Chưa đặt SOHOA_SECRET_KEY (bắt buộc ngoài môi trường phát triển)")
    path = s.home_abs / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


@dataclass(frozen=True)
class ProcessOptions:
    """Options of the page stages (preprocess, OCR, extraction)."""

    lang: str = "vie"
    ocr_timeout: int = 180
    #: None: the calibrated auto-accept threshold (pipeline/data/calibration.json)
    review_threshold: float | None = None
    keep_intermediates: bool = False
    #: force the document kind instead of detecting it (``--schema``)
    schema: str | None = None
    #: force Tesseract's page-segmentation mode instead of choosing it by layout
    psm: int | None = None
    #: memory for one page (MB), the pixel budget of :func:`pipeline.imaging.io.load_page`
    page_memory_mb: int = DEFAULT_PAGE_MEMORY_MB

    @classmethod
    def from_settings(cls, s: Settings) -> ProcessOptions:
        """Build from settings."""
        return cls(
            lang=s.ocr_lang,
            ocr_timeout=s.ocr_timeout,
            review_threshold=s.review_threshold,
            keep_intermediates=s.keep_intermediates,
            schema=s.force_kind,
            page_memory_mb=s.page_memory_mb,
        )
