"""Each operation through the real service: API under gunicorn → Redis → Celery worker → S3."""

from __future__ import annotations

import pytest
import requests

from common.options import extract_options, hash_options, strip_options
from tests.conftest import corpus_files
from tests.service.conftest import upload
from tests.service.stack import finished
from worker import operations

pytestmark = pytest.mark.integration

JOB_FIELDS = {"success", "status", "uuid", "expiresAt", "downloadUrl", "statusUrl"}


def _pick(*suffixes: str):
    wanted = set(suffixes)
    return [f for f in corpus_files() if f.id in wanted]


SAMPLES = (
    "exif-samples/jpg/Canon_40D.jpg",
    "exiftool/t/images/GPS.jpg",
    "Pillow/Tests/images/exif.png",
    "Pillow/Tests/images/flower2.webp",
)


def result_of(body: dict) -> dict:
    """The operation's part of a finished job's body."""
    return {name: value for name, value in body.items() if name not in JOB_FIELDS}


def submit(api_url: str, op: str, data: bytes, name: str, **params) -> dict:
    answer = requests.post(f"{api_url}/api/v1/{op}", files=upload(data, name), params=params)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["success"] is True and body["status"] == "queued"
    assert body["statusUrl"] == f"/api/v1/{op}/{body['uuid']}"
    return body


@pytest.mark.parametrize("sample", SAMPLES)
def test_extract_job_equals_the_operation(stack, sample):
    (file,) = _pick(sample)
    body = finished(stack.api_url, submit(stack.api_url, "extract", file.data, file.path.name))
    assert body["status"] == "completed", body
    expected = operations.run_extract(file.data, file.path.name, extract_options()).result
    assert result_of(body) == expected
    assert body["expiresAt"].endswith("Z")
