"""Error answers over real HTTP (gunicorn): status codes and the ``{"success": false}`` shape."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import corpus_files

pytestmark = pytest.mark.integration

JPEG = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg").data
KEY = "integration-key"


@pytest.fixture(scope="module")
def api_url(new_stack):
    stack = new_stack(MAX_UPLOAD_BYTES=100_000, API_KEYS=KEY)
    return stack.start_api()


def assert_error(answer: requests.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["success"] is False and isinstance(body["error"], str)
    return body["error"]


def post(api_url: str, data: bytes, name: str = "a.jpg", key: str | None = KEY, **kwargs):
    headers = {"X-API-Key": key} if key else {}
    files = {"file": (name, data)}
    return requests.post(f"{api_url}/api/v1/extract", files=files, headers=headers, **kwargs)


def test_too_large_is_413_even_when_the_body_is_big(api_url):
    assert "too large" in assert_error(post(api_url, JPEG[:4] + bytes(3_000_000)), 413)


def test_not_an_image_is_415(api_url):
    assert_error(post(api_url, b"<html>not an image</html>", "a.jpg"), 415)


def test_bad_options_are_400(api_url):
    assert_error(post(api_url, JPEG, params={"pixels": "maybe"}), 400)


def test_keys_are_401(api_url):
    assert assert_error(post(api_url, JPEG, key=None), 401) == "API key required"
    assert assert_error(post(api_url, JPEG, key="wrong"), 401) == "Invalid API key"


def test_unknown_paths_jobs_and_methods(api_url):
    assert_error(requests.get(f"{api_url}/api/v2/extract"), 404)
    assert_error(
        requests.get(f"{api_url}/api/v1/extract/3f1d3c2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"), 404
    )
    assert_error(requests.delete(f"{api_url}/api/v1/extract"), 405)
