"""An operation added through the registry alone is served by the API, run by the pipeline,
batched, downloadable and listed in OpenAPI; the command line gets its command."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from common import operations
from tests.conftest import REPO
from tests.support.harness import make_harness

JPEG = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"


@pytest.fixture()
def tally(tmp_path):
    """The harness with ``tests.support.throwaway_operation`` loaded, as a setting names it."""
    module = "tests.support.throwaway_operation"
    h = make_harness(tmp_path, OPERATION_MODULES=module)
    yield h
    operations.unregister("tally")
    sys.modules.pop(module, None)


def test_a_registered_operation_is_served_run_and_downloadable(tally):
    answer = tally.client.post(
        "/api/v1/tally", data={"file": (io.BytesIO(JPEG), "a.jpg"), "byte": "0"}
    )
    assert answer.status_code == 202, answer.get_json()
    job_id = answer.get_json()["uuid"]
    assert tally.process(tally.sent.pop()) == "completed"
    body = tally.client.get(f"/api/v1/tally/{job_id}").get_json()
    assert body["count"] == 60 and body["format"] == "jpg"  # the API's sniff travelled
    download = tally.client.get(body["downloadUrl"])
    assert download.status_code == 200 and download.data == JPEG


def test_its_options_are_validated_at_the_edge(tally):
    answer = tally.client.post("/api/v1/tally", json={"url": "https://example.com/a", "byte": 256})
    assert answer.status_code == 400 and "byte" in answer.get_json()["error"]
    answer = tally.client.post("/api/v1/tally", json={"url": "https://example.com/a", "keep": "x"})
    assert answer.status_code == 400


def test_it_goes_into_batches(tally):
    files = [(io.BytesIO(JPEG), f"{i}.jpg") for i in range(2)]
    answer = tally.client.post(
        "/api/v1/batch", data={"operations": "tally,hash", "reverse": "true", "file": files}
    )
    assert answer.status_code == 202, answer.get_json()
    while tally.sent:
        tally.process(tally.sent.pop(0))
    body = tally.client.get(f"/api/v1/batch/{answer.get_json()['uuid']}").get_json()
    ops = [item["op"] for item in body["items"]]
    assert ops == ["tally", "hash", "tally", "hash"] and body["total"] == 4
    tallies = [item for item in body["items"] if item["op"] == "tally"]
    assert all(item["status"] == "completed" and "downloadUrl" in item for item in tallies)
    first = tally.client.get(body["items"][0]["downloadUrl"])
    assert first.data == JPEG[::-1]


def test_it_is_in_openapi(tally):
    spec = tally.client.get("/openapi.json").get_json()
    post = spec["paths"]["/api/v1/tally"]["post"]
    assert post["summary"].startswith("Count a byte value")
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["byte"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 255,
        "default": 255,
        "description": "the byte value to count",
    }
    assert "/api/v1/tally/{uuid}" in spec["paths"]


def test_the_command_line_gets_a_command(tmp_path):
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG)
    env = {"OPERATION_MODULES": "tests.support.throwaway_operation", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "exifq", "tally", "--local", "--byte", "0", str(image)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert '"count": 60' in done.stdout
    assert (tmp_path / "a.clean.jpg").read_bytes() == JPEG
