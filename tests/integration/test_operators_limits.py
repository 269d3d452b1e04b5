"""Rate limits and managed keys against the real stack: two gunicorn APIs on one Redis, the
``exifq keys`` command, a worker, and the CLI backing off on 429 (docs/operators.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
import requests
from PIL import Image

from tests.support.stack import REPO

pytestmark = pytest.mark.integration

URL_JOB = {"url": "https://example.com/photo.jpg"}  # queued, never run: no worker needed


@pytest.fixture(scope="module")
def service(new_stack):
    """Two API processes (gunicorn each) on one Redis, 5 requests a minute per caller."""
    stack = new_stack(RATE_LIMIT="5/minute")
    stack.start_worker(concurrency=1)
    return stack, stack.start_api(), stack.start_api()


def keys_cli(stack, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exifq", "keys", *argv],
        env=stack.env(PYTHONPATH=str(REPO)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_request_after_the_limit_is_429_whichever_api_answers(service):
    """Open service: counted per client address, across both API processes."""
    _stack, api_a, api_b = service
    for path in ("/healthz", "/readyz", "/metrics"):  # never limited, never counted
        assert all(requests.get(api_a + path).status_code != 429 for _ in range(7))
    answers = [requests.post(f"{api_a}/api/v1/extract", json=URL_JOB) for _ in range(3)]
    answers += [requests.post(f"{api_b}/api/v1/extract", json=URL_JOB) for _ in range(3)]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    refused = answers[-1]
    assert refused.json()["success"] is False and "rate limit" in refused.json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert requests.get(f"{api_a}/api/v1/limits").status_code == 429
    assert requests.get(f"{api_b}/healthz").status_code == 200


def test_a_revoked_key_is_refused_at_once_by_another_api_process(service):
    stack, api_a, api_b = service
    made = keys_cli(stack, "create", "--name", "ci", "--rate-limit", "100/minute", "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    listed = keys_cli(stack, "list", "--json")
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [key["id"]]
    assert key["key"] not in listed.stdout  # only ever shown at creation
    headers = {"X-API-Key": key["key"]}
    # This key's own limit applies (the address without a key is still over RATE_LIMIT).
    for api in (api_a, api_b, api_a, api_b, api_a, api_b, api_a):  # 7 > RATE_LIMIT's 5
        assert requests.post(f"{api}/api/v1/extract", json=URL_JOB, headers=headers).ok
    assert keys_cli(stack, "revoke", key["id"]).returncode == 0
    answer = requests.post(f"{api_b}/api/v1/extract", json=URL_JOB, headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == "Invalid API key"
    assert keys_cli(stack, "revoke", key["id"]).returncode == 1


def test_a_keys_own_limit_and_the_cli_backing_off(service, tmp_path):
    """A key limited to 3 requests in 4 s: the CLI sends 4 files as 2 batches of at most 3
    jobs, is refused, waits as Retry-After says, and ends with every result."""
    stack, api_a, api_b = service
    made = keys_cli(stack, "create", "--rate-limit", "3/4seconds", "--json")
    key = json.loads(made.stdout)["key"]
    headers = {"X-API-Key": key}
    answers = [requests.get(f"{api_b}/api/v1/limits", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].json()["rateLimits"][0]["amount"] == 3
    paths = []
    for i in range(4):
        out = io.BytesIO()
        Image.new("RGB", (8 + i, 8), (i * 40, 0, 0)).save(out, "PNG")
        paths.append(tmp_path / f"img{i}.png")
        paths[-1].write_bytes(out.getvalue())
    run = subprocess.run(
        [sys.executable, "-m", "exifq", "hash", *map(str, paths)],
        env=stack.env(EXIFQ_URL=api_a, EXIFQ_API_KEY=key, PYTHONPATH=str(REPO)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "rate_limited" in run.stderr and "asking again in" in run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["name"] for r in results] == [p.name for p in paths]
    assert all(r["status"] == "completed" and r["hashes"]["phash"] for r in results)
