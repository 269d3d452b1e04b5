"""Every client mistake is a 4xx ``{"success": false, "error": ...}`` from the real API (gunicorn,
Redis, moto's S3), and leaves nothing behind in storage or Redis; the access log cannot be
forged."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from common.jobs import STORAGE_PREFIXES
from common.settings import load_settings
from common.storage import get_storage
from tests.conftest import corpus_files
from tests.integration.conftest import upload

pytestmark = pytest.mark.integration

JPEG = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg").data
URL = "https://images.example/a.jpg"  # a name: accepted at submit, never fetched (no worker)


@pytest.fixture(scope="module")
def api(new_stack):
    """An API without a worker: whatever a mistake would have queued stays visible."""
    stack = new_stack()
    stack.api_url = stack.start_api()
    return stack


def stored_objects(stack) -> list[str]:
    storage = get_storage(load_settings(**stack.settings()))
    future = time.time() + 3600
    return [key for prefix in STORAGE_PREFIXES for key in storage.list_older_than(prefix, future)]


def job_keys(stack) -> list[str]:
    return list(stack.redis().scan_iter(match=f"{stack.prefix}job*"))


def refused(answer: requests.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["success"] is False and isinstance(body["error"], str), body
    return body["error"]


WRONG_TYPES = [
    ("extract", {"pixels": 5}),
    ("extract", {"pixels": [True]}),
    ("extract", {"pixels": None}),
    ("hash", {"types": 5}),
    ("hash", {"types": False}),
    ("hash", {"types": {"phash": 1}}),
    ("hash", {"types": ["phash", 1]}),
    ("hash", {"fast": "maybe"}),
    ("hash", {"fast": 1.5}),
    ("remove", {"drop": False}),
    ("remove", {"keep": 7}),
    ("remove", {"keep": [None]}),
    ("extract", {"wait": "soon"}),
    ("extract", {"wait": [1]}),
    ("extract", {"wait": 31}),
]


@pytest.mark.parametrize("op,options", WRONG_TYPES, ids=repr)
def test_wrong_typed_options_are_400_as_json_and_in_a_batch(api, op, options):
    refused(requests.post(f"{api.api_url}/api/v1/{op}", json={"url": URL, **options}))
    batch = {"urls": [URL], "operations": op, **options}
    refused(requests.post(f"{api.api_url}/api/v1/batch", json=batch))


def test_wrong_typed_options_as_form_fields_and_batch_shapes(api):
    form = requests.post(
        f"{api.api_url}/api/v1/hash", files=upload(JPEG), data={"types": "phash,nothing"}
    )
    refused(form)
    refused(requests.post(f"{api.api_url}/api/v1/remove", files=upload(JPEG), data={"keep": "x"}))
    for body in ({"urls": 5}, {"urls": [URL], "operations": 5}, {"urls": [URL], "operations": []}):
        refused(requests.post(f"{api.api_url}/api/v1/batch", json=body))
    assert not stored_objects(api) and not job_keys(api)


@pytest.mark.parametrize("path", ["/api/v1/extract", "/api/v1/batch"])
def test_a_form_field_whose_name_cannot_be_read_is_400(api, path):
    # A name ending in a backslash: the multipart parser reads no name at all.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="x\\"\r\n\r\n1\r\n'
        + b'--b\r\nContent-Disposition: form-data; name="url"\r\n\r\n'
        + URL.encode()
        + b"\r\n--b--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    refused(requests.post(f"{api.api_url}{path}", data=body, headers=headers))


SURROGATES = [
    ("/api/v1/extract", '{"url": "\\ud800"}'),
    ("/api/v1/extract", '{"url": "https://images.example/\\udfff.jpg"}'),
    ("/api/v1/remove", '{"url": "https://images.example/a.jpg", "keep": "\\ud800"}'),
    ("/api/v1/extract", '{"url": "https://images.example/a.jpg", "\\ud800": 1}'),
    ("/api/v1/batch", '{"urls": ["https://images.example/a.jpg", "\\ud800"]}'),
    ("/api/v1/visual_hash", '{"records": [{"_url": "https://images.example/\\ud800"}]}'),
    ("/api/v1/visual_hash", '{"records": [{"_id": "\\udfff", "_url": "https://a.example/a.jpg"}]}'),
    ("/api/v1/remove_duplicates", '{"records": [{"_id": ["\\ud800"], "_base64": "AAAA"}]}'),
    ("/api/v1/rank_images", '{"query_record": {"_id": "\\ud800"}, "records": []}'),
]


@pytest.mark.parametrize("path,body", SURROGATES, ids=repr)
def test_strings_unicode_cannot_encode_are_400_and_leave_nothing(api, path, body):
    headers = {"Content-Type": "application/json"}
    error = refused(requests.post(f"{api.api_url}{path}", data=body.encode(), headers=headers))
    assert "not valid Unicode" in error
    assert not stored_objects(api) and not job_keys(api)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # nested too deeply to decode
        '{"url": "https://images.example/a.jpg", "wait": NaN}',
        '{"url": "https://images.example/a.jpg", "wait": Infinity}',
        '{"url": "https://images.example/a.jpg", "pixels": NaN}',
        '{"url": "https://images.example/a.jpg", "wait": 1e999999}',
        '{"urls": ["https://images.example/a.jpg"], "operations": "hash", "types": -Infinity}',
    ],
    ids=lambda body: body[:40],
)
def test_json_only_python_reads_is_400(api, body):
    headers = {"Content-Type": "application/json"}
    path = "/api/v1/batch" if "urls" in body else "/api/v1/extract"
    refused(requests.post(f"{api.api_url}{path}", data=body, headers=headers))


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("DELETE", "/api/v1/extract", {"POST", "OPTIONS"}),
        ("GET", "/api/v1/batch", {"POST", "OPTIONS"}),
        ("PUT", "/api/v1/hash/3f1d3c2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", {"GET", "HEAD", "OPTIONS"}),
        ("POST", "/healthz", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_unknown_methods_are_405_with_allow(api, method, path, allowed):
    answer = requests.request(method, f"{api.api_url}{path}")
    refused(answer, 405)
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed


def test_an_empty_records_list_is_accepted_and_answered(stack):
    for kind in ("visual_hash", "remove_duplicates"):
        answer = requests.post(
            f"{stack.api_url}/api/v1/{kind}", params={"wait": 20}, json={"records": []}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["records"] == [] and body["status"] == {"code": 200, "text": "OK"}


def raw_request(api_url: str, head: bytes) -> bytes:
    host, port = api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        return sock.recv(65536)


def test_the_access_log_escapes_control_characters(api):
    marker = f"forged{time.monotonic_ns()}"
    path = f"/api/v1/x%0a127.0.0.1%20%22GET%20/{marker}%22%20200%00%1b[2J%5c%0d"
    answer = raw_request(api.api_url, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 404"), answer[:100]
    time.sleep(0.5)  # the access log is written after the answer
    log = b"".join(path.read_bytes() for path in api.logs.glob("api-*.log"))
    lines = [line for line in log.split(b"\n") if marker.encode() in line]
    assert len(lines) == 1, lines  # one line, not a forged second one
    (line,) = lines
    assert b"\x00" not in line and b"\x1b" not in line and b"\r" not in line
    assert b'/api/v1/x\\x0a127.0.0.1 \\"GET /' in line
    assert b"200\\x00\\x1b[2J\\\\\\x0d" in line
