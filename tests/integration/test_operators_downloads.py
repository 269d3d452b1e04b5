"""Presigned downloads (``DOWNLOAD_REDIRECT``) against Redis, a real worker and moto's S3 over
HTTP, whose presigned URLs are checked as S3 checks them (``tests/support/presign_gate``).

The API is in-process with a manual clock: the clock decides how long the URL may live (never
past the job's ``expiresAt``), while botocore signs with the real time and the gate checks
the real time, so moving the manual clock to 2 s before the job's expiry gives a URL that works
now and fails 3 real seconds later.
"""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from api import create_app
from api.downloads import content_disposition
from common.clock import ManualClock
from common.settings import load_settings

pytestmark = pytest.mark.integration

KEY = "download-key"


@pytest.fixture(scope="module")
def service(new_stack):
    stack = new_stack(API_KEYS=KEY)
    stack.start_worker(concurrency=1)
    settings = load_settings(**stack.settings(DOWNLOAD_REDIRECT="true"))
    clock = ManualClock()
    app = create_app(settings, clock=clock)
    streamed = create_app(load_settings(**stack.settings()), clock=clock)
    return app.test_client(), streamed.test_client(), clock


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, "JPEG", comment=b"secret", quality=90)
    return out.getvalue()


def test_a_redirect_to_a_presigned_url_that_expires(service):
    client, streamed, clock = service
    headers = {"X-API-Key": KEY}
    answer = client.post(
        "/api/v1/remove?wait=20",
        data={"file": (io.BytesIO(jpeg()), "Photo été.jpg")},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    job_id = answer.get_json()["uuid"]
    path = f"/download-cleaned/{job_id}"

    # Checks first: another key's job, or none, is a 404 (no redirect, no URL).
    assert client.get(path, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get(f"/download-cleaned/{'0' * 8}-0000-4000-8000-{'0' * 12}").status_code == 404

    redirect = client.get(path, headers=headers)
    assert redirect.status_code == 302
    assert redirect.headers["Cache-Control"] == "private, no-store"
    location = redirect.headers["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["900"]  # 15 min at most
    assert "download-key" not in location
    direct = requests.get(location, timeout=10)
    assert direct.status_code == 200
    body = streamed.get(path, headers=headers)  # what the API streams without the setting
    assert direct.content == body.data and b"secret" not in direct.content
    assert direct.headers["Content-Disposition"] == body.headers["Content-Disposition"]
    assert direct.headers["Content-Disposition"] == content_disposition("Photo été.jpg")
    assert direct.headers["Content-Type"] == "image/jpeg"
    tampered = location.replace("X-Amz-Expires=900", "X-Amz-Expires=9000")
    assert requests.get(tampered, timeout=10).status_code == 403

    job = client.application.extensions["exifq"].jobs.get(job_id)
    clock.advance(job.expires_at - clock.now() - 2.5)  # 2.5 s left by the API's clock
    short = client.get(path, headers=headers).headers["Location"]
    assert parse_qs(urlsplit(short).query)["X-Amz-Expires"] == ["2"]
    assert requests.get(short, timeout=10).content == body.data
    time.sleep(3.2)
    late = requests.get(short, timeout=10)
    assert late.status_code == 403 and b"expired" in late.content

    clock.advance(3)  # past expiresAt: refused before any URL is made
    assert client.get(path, headers=headers).status_code == 404
