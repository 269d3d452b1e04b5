"""One typed settings object: the only place that reads the environment.

Every process builds it once (``load_settings()``) and passes it down; nothing
reads ``os.environ`` anywhere else.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Environment settings, named as in DESIGN.md ("Settings")."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    STORAGE: Literal["s3", "local"] = "local"
    S3_ENDPOINT_URL: str | None = None
    S3_BUCKET: str = "exifq"
    S3_REGION: str = "us-east-1"
    AWS_ACCESS_KEY_ID: str | None = None
    AWS_SECRET_ACCESS_KEY: str | None = None
    LOCAL_STORAGE_DIR: Path = Path("var/storage")
    API_KEYS: str = Field("", description="comma-separated; empty runs the service open")
    MAX_UPLOAD_BYTES: int = Field(50 * MiB, gt=0)
    MAX_IMAGE_PIXELS: int = Field(100_000_000, gt=0)
    RESULT_TTL_SECONDS: int = Field(86_400, gt=0)
    URL_FETCH_TIMEOUT: float = Field(15.0, gt=0)
    URL_MAX_REDIRECTS: int = Field(5, ge=0)
    ALLOW_PRIVATE_URLS: bool = False
    URL_TEST_ALLOWLIST: str = Field(
        "", description="tests only: comma-separated ip:port endpoints URL inputs may reach"
    )

    # Client side of the command line (``exifq extract FILE`` against a server).
    EXIFQ_URL: str = "http://127.0.0.1:8000"
    EXIFQ_API_KEY: str | None = None

    @cached_property
    def api_keys(self) -> frozenset[str]:
        """The configured API keys; empty means the service is open."""
        return frozenset(k.strip() for k in self.API_KEYS.split(",") if k.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the environment (``overrides`` win, for tests and the CLI)."""
    return Settings(**overrides)
