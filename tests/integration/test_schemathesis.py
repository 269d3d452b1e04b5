"""A bounded schemathesis run against the live spec (``/openapi.json`` of a real API process):
every operation, valid and invalid inputs, no server error, every answer as documented."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import corpus_files
from tests.integration.conftest import upload

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 25  # per operation and phase: bounded, a few minutes for the whole spec


@pytest.fixture(scope="module")
def live_api(new_stack):
    """The API alone: no worker, so no URL is ever fetched (and private addresses are refused
    at submit); jobs it accepts stay queued."""
    stack = new_stack(ALLOW_PRIVATE_URLS="false")
    stack.api_url = stack.start_api()
    return stack


@pytest.fixture()
def live_schema(live_api):
    return schemathesis.openapi.from_url(f"{live_api.api_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_live_api_answers_as_its_spec_says(case):
    for where in (case.query, case.body if isinstance(case.body, dict) else None):
        if where and "wait" in where:
            where["wait"] = 0  # no worker runs: a wait would only sit out its seconds
    checks = CHECKS
    if case.operation.path == "/readyz":  # its 503 is a documented verdict (no worker runs here)
        checks = [check for check in CHECKS if check is not not_a_server_error]
    case.call_and_validate(checks=checks, timeout=30)


@pytest.mark.parametrize(
    "sample",
    ["exif-samples/jpg/Canon_40D.jpg", "Pillow/Tests/images/exif.png"],
)
def test_a_served_download_and_its_job_match_the_spec(stack, sample):
    """The paths a random run never reaches (a completed remove job and its download), checked
    against the same live spec."""
    (file,) = [f for f in corpus_files() if f.id == sample]
    spec = schemathesis.openapi.from_url(f"{stack.api_url}/openapi.json")
    files = upload(file.data, file.path.name)
    answer = requests.post(f"{stack.api_url}/api/v1/remove", files=files, params={"wait": 20})
    spec["/api/v1/remove"]["POST"].validate_response(answer)
    body = answer.json()
    status = requests.get(f"{stack.api_url}/api/v1/remove/{body['uuid']}")
    spec["/api/v1/remove/{uuid}"]["GET"].validate_response(status)
    download = requests.get(f"{stack.api_url}{body['downloadUrl']}")
    assert download.headers["Content-Type"].startswith("image/")
    spec["/download-cleaned/{uuid}"]["GET"].validate_response(download)
