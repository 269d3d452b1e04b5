"""Virus scans through the real service: API and Celery worker processes, Redis, S3 (moto), clamd.

An infected upload sent as base64 is reported and gets no cleaned file; with clamd stopped,
a scan job retries in the worker and then fails ``scan_unavailable``, never "clean".
"""

from __future__ import annotations

import base64

import pytest
import requests

from tests.support import clamd as private
from tests.support.stack import finished

pytestmark = pytest.mark.integration


@pytest.fixture()
def scanning(new_stack, tmp_path):
    clamd = private.start(tmp_path)
    service = new_stack(CLAMD_URL=clamd.url, TASK_MAX_RETRIES=2)
    service.start_worker(concurrency=1)
    service.api_url = service.start_api()
    yield service, clamd
    clamd.stop()


def _submit(api_url: str, op: str, data: bytes) -> dict:
    inline = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    answer = requests.post(f"{api_url}/api/v1/{op}", json={"base64": inline, "scan": True})
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_infected_upload_is_reported_without_a_cleaned_file(scanning):
    service, _ = scanning
    body = finished(
        service.api_url, _submit(service.api_url, "remove", private.photo(private.EICAR))
    )
    assert body["status"] == "completed", body
    assert body["virusScan"]["infected"] is True
    assert body["virusScan"]["infectedWith"].startswith("Win.Test.EICAR_NDB-1")
    assert "downloadUrl" not in body
    clean = finished(service.api_url, _submit(service.api_url, "remove", private.photo()))
    assert clean["virusScan"]["infected"] is False and "downloadUrl" in clean


def test_clamd_stopped_mid_run_fails_scan_unavailable(scanning):
    service, clamd = scanning
    first = finished(service.api_url, _submit(service.api_url, "extract", private.photo()))
    assert first["virusScan"]["infected"] is False
    clamd.stop()
    body = finished(service.api_url, _submit(service.api_url, "extract", private.photo()), 90)
    assert body["status"] == "failed", body
    assert body["error"]["code"] == "scan_unavailable"
    assert "virusScan" not in body
