"""One typed settings object: the only place that reads the environment.

Every process builds it once (``load_settings()``) and passes it down; nothing
reads ``os.environ`` anywhere else.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.quick_settings import exiftool_program, tables_directory

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Environment settings, named as in DESIGN.md ("Settings")."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    REDIS_URL: str = Field(
        "redis://127.0.0.1:6379/0", description="the job store, and the broker unless BROKER_URL"
    )
    BROKER_URL: str | None = Field(
        None, description="Celery's broker: redis://... or amqp://... (default: REDIS_URL)"
    )
    REDIS_KEY_PREFIX: str = Field("exifq:", description="prefix of every Redis key exifq uses")
    STORAGE: str = Field(
        "local", pattern=r"^[a-z][a-z0-9_]*$", description="a module of common.storage"
    )
    S3_ENDPOINT_URL: str | None = Field(
        None, description="any S3-compatible endpoint (MinIO, moto); unset: AWS"
    )
    S3_BUCKET: str = Field("exifq", description="the bucket of uploads, results and cleaned files")
    S3_REGION: str = Field("us-east-1", description="the S3 region")
    AWS_ACCESS_KEY_ID: str | None = Field(None, description="S3 credentials (else boto3's chain)")
    AWS_SECRET_ACCESS_KEY: str | None = Field(None, description="S3 credentials, with the key ID")
    LOCAL_STORAGE_DIR: Path = Field(
        Path("var/storage"), description="the directory of the local storage backend"
    )
    API_STORAGE_TIMEOUT: float = Field(
        1.5, gt=0, description="seconds: the API's storage connect and read timeout"
    )
    API_KEYS: str = Field("", description="comma-separated; empty runs the service open")
    MAX_UPLOAD_BYTES: int = Field(50 * MiB, gt=0, description="one image upload; larger: 413")
    MAX_VIDEO_BYTES: int = Field(1024 * MiB, gt=0, description="a video upload (docs/video.md)")
    MAX_IMAGE_PIXELS: int = Field(
        100_000_000, gt=0, description="larger declared sizes fail as decompression_bomb"
    )
    APPROX_PIXELS_MAX: int = Field(
        4_000_000,
        gt=0,
        description="most pixels decoded for approximate pixel work (colours, palette, "
        "histogram, faces): a JPEG decodes at the DCT scale that fits; other formats are "
        "reduced right after decoding (docs/memory.md)",
    )
    MAX_BATCH_ITEMS: int = Field(10_000, gt=0, description="files, URLs or records per batch")
    MAX_BATCH_BYTES: int = Field(1024 * MiB, gt=0, description="size of one batch request")
    RESULT_TTL_SECONDS: int = Field(
        86_400, gt=0, description="how long jobs, results and cleaned files live"
    )
    URL_FETCH_TIMEOUT: float = Field(15.0, gt=0, description="seconds to fetch one URL input")
    URL_MAX_REDIRECTS: int = Field(5, ge=0, description="redirects a URL input may follow")
    ALLOW_PRIVATE_URLS: bool = Field(
        False, description="tests only: URL inputs may reach loopback and private addresses"
    )
    URL_TEST_ALLOWLIST: str = Field(
        "",
        description="tests and `exifq dev --serve-dir` only: comma-separated ip:port endpoints "
        "URL inputs may reach",
    )

    # Virus scanning (common/clamav.py, docs/scan-faces-colours.md).
    CLAMD_URL: str | None = Field(
        None, description="clamd for the scan operation: unix:///path/clamd.sock or tcp://host:3310"
    )
    CLAMD_TIMEOUT: float = Field(30.0, gt=0, description="seconds for one clamd exchange")
    CLAMD_STREAM_MAX_BYTES: int = Field(
        25 * MiB, gt=0, description="at most clamd's StreamMaxLength; larger files: not scanned"
    )
    SCAN_INFECTED: str = Field(
        "report",
        pattern=r"^(report|reject)$",
        description="report: an infected file's job completes, flagged; reject: it fails",
    )

    # Operators (docs/operators.md).
    RATE_LIMIT: str = Field(
        "", description="per key (per address when open), e.g. '60/minute;1000/hour'; empty: none"
    )
    PROXY_HOPS: int = Field(
        0, ge=0, description="reverse proxies in front of the API whose X-Forwarded-For to trust"
    )
    WEBHOOK_SECRET: str | None = Field(None, description="signs callbackUrl POSTs; unset: refused")
    WEBHOOK_TIMEOUT: float = Field(10.0, gt=0, description="seconds per delivery attempt")
    WEBHOOK_RETRY_HOURS: float = Field(24.0, gt=0, description="how long failed ones are retried")
    WEBHOOK_RETRY_SECONDS: float = Field(
        30.0, gt=0, description="the first retry's wait, doubled each time up to an hour"
    )
    DOWNLOAD_REDIRECT: bool = Field(False, description="S3: redirect downloads to presigned URLs")
    S3_PUBLIC_ENDPOINT_URL: str | None = Field(
        None, description="the S3 endpoint as clients reach it (presigned URLs); default S3's"
    )
    WORKER_METRICS_PORT: int = Field(
        0, ge=0, lt=65536, description="each worker's Prometheus port; 0: none"
    )
    # Drop-in adapters of hosted APIs (api/compat, docs/compat.md).
    COMPAT_ADAPTERS: str = Field(
        "",
        description="adapters served: all, or a comma list of exiftools, ximilar, imagekit, "
        "uploadcare, cloudinary; empty serves none",
    )
    COMPAT_WAIT_SECONDS: float = Field(
        60.0, gt=0, le=3600, description="how long an adapter waits for its job before a 202"
    )
    COMPAT_UPLOADCARE_KEYS: str = Field(
        "", description="comma-separated PUBLIC_KEY:SECRET_KEY pairs; each secret is an API key"
    )
    COMPAT_CLOUDINARY_KEYS: str = Field(
        "", description="comma-separated API_KEY:API_SECRET pairs; each secret is an API key"
    )
    PUBLIC_URL: str = Field("", description="base of absolute URLs; default: the request's host")

    OPERATION_MODULES: str = Field(
        "", description="comma-separated modules that register more operations at start-up"
    )

    # Workers (see worker/app.py for how these become Celery settings).
    WORKER_CONCURRENCY: int | None = Field(None, gt=0, description="default: the CPU count")
    WORKER_MAX_MEMORY_PER_CHILD: int = Field(
        1_048_576, gt=0, description="KiB; a pool process above it is replaced after its task"
    )
    TASK_SOFT_TIME_LIMIT: float = Field(
        60.0, gt=0, description="seconds; a job over it fails as timeout"
    )
    TASK_TIME_LIMIT: float = Field(
        90.0, gt=0, description="seconds; the pool process is killed, the job fails as timeout"
    )
    TASK_MAX_RETRIES: int = Field(5, ge=0, description="retries of transient faults")
    TASK_MAX_DELIVERIES: int = Field(3, ge=1, description="starts of one job before worker_lost")
    BROKER_VISIBILITY_TIMEOUT: int = Field(300, gt=0, description="seconds (Redis broker)")
    SWEEP_INTERVAL_SECONDS: int = Field(
        3600, gt=0, description="how often beat's sweeper deletes expired objects"
    )

    # The metadata engine reads ExifTool's tag tables from the installed ExifTool.
    EXIFTOOL: str | None = Field(
        None, description="the exiftool program or its lib directory; default: exiftool on PATH"
    )
    TABLES_DIR: Path | None = Field(
        None, description="where the tables built from ExifTool are cached; default: user cache"
    )

    # Client side of the command line (``exifq extract FILE`` against a server).
    EXIFQ_URL: str = Field(
        "http://127.0.0.1:8000", description="the server the exifq commands talk to"
    )
    EXIFQ_API_KEY: str | None = Field(None, description="the API key the exifq commands send")

    @property
    def broker_url(self) -> str:
        """Celery's broker: ``BROKER_URL``, else ``REDIS_URL``."""
        return self.BROKER_URL or self.REDIS_URL

    @cached_property
    def api_keys(self) -> frozenset[str]:
        """The configured API keys; empty means the service is open."""
        return frozenset(k.strip() for k in self.API_KEYS.split(",") if k.strip())

    @cached_property
    def exiftool(self) -> str | None:
        """``EXIFTOOL``, else the ``exiftool`` program on PATH (``None``: not installed)."""
        return exiftool_program(self.EXIFTOOL)

    @cached_property
    def tables_dir(self) -> Path:
        """``TABLES_DIR``, else ``tables`` in exifq's user cache directory (platformdirs)."""
        return tables_directory(self.TABLES_DIR)


def load_settings(**overrides: object) -> Settings:
    """Read the environment (``overrides`` win, for tests and the CLI)."""
    return Settings(**overrides)


def child_environment(**overrides: object) -> dict[str, str]:
    """The environment for a process exifq starts: ours, with ``overrides`` as settings."""
    env = dict(os.environ)
    env.update({name: str(value) for name, value in overrides.items() if value is not None})
    return env
