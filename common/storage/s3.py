"""Any S3-compatible endpoint as object storage (``STORAGE=s3``): AWS, MinIO, moto.

``ensure_ready`` creates the bucket when it is missing and makes sure it
carries a lifecycle rule that expires every object after one day (and aborts
multipart uploads left behind), keeping rules others put on the bucket.
Connection failures, timeouts, throttling and 5xx answers become
``TransientError`` so the caller can retry; a missing key is ``ObjectNotFound``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, partial
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from common.errors import TransientError
from common.settings import Settings

from . import ObjectNotFound, Storage, check_key

LIFECYCLE_RULE_ID = "exifq-expire-after-1-day"
LIFECYCLE_RULE = {
    "ID": LIFECYCLE_RULE_ID,
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "Expiration": {"Days": 1},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
}

_MISSING = {"404", "NoSuchKey", "NotFound"}
_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "RequestTimeout",
    "ServiceUnavailable",
    "InternalError",
}

# Short timeouts and few botocore retries: the task's own retry with backoff
# handles longer outages without holding a worker process.
_CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"}
)
# A request's writes (an upload: up to MAX_UPLOAD_BYTES) may wait this long for S3's answer
# once the body is sent (S3 checks and stores it first).
WRITE_READ_TIMEOUT = 5.0


def request_path_configs(timeout: float) -> tuple[Config, Config]:
    """Client configs for the API's reads and writes: one attempt each (the client is told 503
    and may retry), connecting within ``timeout``; a read answers or fails within about
    ``timeout`` (socket reads), a write may wait :data:`WRITE_READ_TIMEOUT` for S3's answer."""
    retries = {"total_max_attempts": 1, "mode": "standard"}
    reads = Config(connect_timeout=timeout, read_timeout=timeout, retries=retries)
    writes = Config(
        connect_timeout=timeout, read_timeout=max(timeout, WRITE_READ_TIMEOUT), retries=retries
    )
    return reads, writes


def _is_transient(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status >= 500 or error.get("Code") in _TRANSIENT_CODES


@contextmanager
def _s3_errors(key: str = ""):
    """Turn botocore failures into ``ObjectNotFound`` / ``TransientError``."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            raise ObjectNotFound(key) from None
        if _is_transient(exc):
            raise TransientError(f"storage: {exc}") from exc
        raise
    except BotoCoreError as exc:  # connection refused/reset, timeouts
        raise TransientError(f"storage unreachable: {exc}") from exc


class S3Storage(Storage):
    def __init__(self, client, bucket: str, region: str, presigner=None, writer=None) -> None:
        self.client = client
        self.writer = writer or client  # puts and deletes (a longer read timeout)
        self.bucket = bucket
        self.region = region
        self._presigner = presigner  # () -> the client that signs URLs (made on first use)

    @cached_property
    def presigner(self):
        return self._presigner() if self._presigner else self.client

    def ensure_ready(self) -> None:
        with _s3_errors():
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _MISSING:
                    raise
                self._create_bucket()
            self._ensure_lifecycle_rule()

    def _create_bucket(self) -> None:
        args: dict = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**args)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise

    def lifecycle_rules(self) -> list[dict]:
        """The bucket's lifecycle rules (empty when it has none)."""
        with _s3_errors():
            try:
                answer = self.client.get_bucket_lifecycle_configuration(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
                    return []
                raise
        return answer.get("Rules", [])

    def _ensure_lifecycle_rule(self) -> None:
        rules = self.lifecycle_rules()
        if LIFECYCLE_RULE in rules:
            return
        others = [rule for rule in rules if rule.get("ID") != LIFECYCLE_RULE_ID]
        self.client.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": [*others, LIFECYCLE_RULE]}
        )

    def ping(self) -> None:
        with _s3_errors():
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                raise TransientError(f"storage: bucket {self.bucket}: {exc}") from exc

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        # One PUT, streaming a file object: objects here stay far below S3's 5 GB
        # single-PUT limit, and the transfer manager's threads cost more than they save.
        extra = {"ContentType": content_type} if content_type else {}
        with _s3_errors(key):
            self.writer.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, **extra)

    def open(self, key: str) -> BinaryIO:
        with _s3_errors(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        return answer["Body"]

    def get(self, key: str) -> bytes:
        with _s3_errors(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            return answer["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            with _s3_errors(key):
                self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        with _s3_errors(key):
            self.writer.delete_object(Bucket=self.bucket, Key=check_key(key))

    def presigned_url(
        self, key: str, seconds: int, *, content_disposition: str, content_type: str
    ) -> str:
        """A SigV4 presigned GET (computed here, no request), valid ``seconds`` from now by the
        signer's clock, that makes S3 answer with ``content_disposition`` and
        ``content_type`` (``ResponseContentDisposition``, ``ResponseContentType``)."""
        params = {
            "Bucket": self.bucket,
            "Key": check_key(key),
            "ResponseContentDisposition": content_disposition,
            "ResponseContentType": content_type,
        }
        return self.presigner.generate_presigned_url("get_object", params, ExpiresIn=seconds)

    def list_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        with _s3_errors(prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    if item["LastModified"].timestamp() < cutoff:
                        yield item["Key"]


def create(settings: Settings, *, timeout: float | None = None) -> S3Storage:
    """The store; with ``timeout`` (the API's request path) short bounded calls instead of the
    workers' patient ones."""
    session = boto3.session.Session(
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
    )
    # MinIO and moto serve buckets by path; AWS picks its own style.
    style = "path" if settings.S3_ENDPOINT_URL else "auto"
    addressing = Config(s3={"addressing_style": style})

    def client(config: Config):
        merged = config.merge(addressing)
        return session.client("s3", endpoint_url=settings.S3_ENDPOINT_URL, config=merged)

    # Presigned URLs: SigV4 (botocore would sign them with the deprecated SigV2 in
    # us-east-1), for the endpoint clients reach (S3_PUBLIC_ENDPOINT_URL) if it differs.
    public = settings.S3_PUBLIC_ENDPOINT_URL or settings.S3_ENDPOINT_URL
    v4 = _CLIENT_CONFIG.merge(addressing).merge(Config(signature_version="s3v4"))
    presigner = partial(session.client, "s3", endpoint_url=public, config=v4)
    bucket, region = settings.S3_BUCKET, settings.S3_REGION
    if timeout is None:
        return S3Storage(client(_CLIENT_CONFIG), bucket, region, presigner)
    reads, writes = request_path_configs(timeout)
    return S3Storage(client(reads), bucket, region, presigner, client(writes))
