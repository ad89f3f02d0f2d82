"""Settings, read once at the edges (CLI, flow wiring, web app) and passed down frozen."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "sohoa"}


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
    keep_intermediates: bool = False

    @property
    def home_abs(self) -> Path:
        """SOHOA_HOME as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def db_url(self) -> str:
        """The database URL (SQLite under SOHOA_HOME by default)."""
        return self.database_url or f"sqlite:///{self.home_abs / 'sohoa.db'}"

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

    @classmethod
    def from_settings(cls, s: Settings) -> ProcessOptions:
        """Build from settings."""
        return cls(
            lang=s.ocr_lang,
            ocr_timeout=s.ocr_timeout,
            review_threshold=s.review_threshold,
            keep_intermediates=s.keep_intermediates,
        )
