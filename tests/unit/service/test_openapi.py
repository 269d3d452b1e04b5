"""The OpenAPI document is complete and true: valid OpenAPI 3.1, every route the app serves
documented with its request body and answers, the adapters the app serves (and only
those), real answers of every route matching their schemas, and the stored examples
equal to what the code answers now (``python -m tests.support.openapi_examples``)."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from werkzeug.routing import Rule

from api.compat.base import ADAPTERS
from api.openapi import build_spec, examples, requests
from tests.support.openapi_check import Validators, find_operation, problems, resolve
from tests.support.openapi_examples import generated, record
from tests.support.openapi_scenarios import harness

CLAMAV = re.compile(r"ClamAV \d[\d.]*")  # the installed clamd's version: not ours to pin


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory):
    """Every scenario's real exchanges (about 120 requests; a few seconds)."""
    return record(tmp_path_factory.mktemp("openapi"))


@pytest.fixture(scope="module")
def full_spec():
    return build_spec(ADAPTERS)


def _paths(rule: Rule) -> list[str]:
    """The document's paths for a Flask rule: one per ``any(...)`` value, ``{uuid}`` for a
    UUID converter, ``{name}`` for the others."""
    path = re.sub(r"<uuid:\w+>", "{uuid}", rule.rule)
    choice = re.search(r"<any\(([^)]*)\):\w+>", path)
    values = [value.strip() for value in choice.group(1).split(",")] if choice else [""]
    return [
        re.sub(
            r"<(?:\w+:)?(\w+)>", r"{\1}", path.replace(choice.group(0), value) if choice else path
        )
        for value in values
    ]


@pytest.mark.parametrize("adapters", [(), ADAPTERS], ids=["native", "every adapter"])
def test_the_document_is_valid_openapi_3_1(tmp_path, adapters):
    h = harness(tmp_path, COMPAT_ADAPTERS=",".join(adapters))
    spec = h.client.get("/openapi.json").get_json()
    validate(spec)
    assert spec == build_spec(adapters) and spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": "/", "description": "this server"}]  # try it out: here


def test_every_route_is_documented_with_its_request_and_answers(tmp_path, full_spec):
    h = harness(tmp_path)
    spec = full_spec
    checked = 0
    for rule in h.app.url_map.iter_rules():
        if rule.endpoint.startswith("web.") and rule.rule not in ("/", "/docs/"):
            continue  # the page's and Swagger UI's files
        for path in _paths(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                operation = spec["paths"].get(path, {}).get(method.lower())
                assert operation is not None, f"{method} {path} ({rule.endpoint})"
                _check_operation(spec, path, method, operation)
                checked += 1
    assert checked >= 40


def _check_operation(spec: dict, path: str, method: str, operation: dict) -> None:
    where = f"{method} {path}"
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
    assert names == set(re.findall(r"\{(\w+)\}", path)), where
    if method == "POST" and not path.endswith("/ping"):
        content = operation["requestBody"]["content"]
        assert content and all("schema" in media for media in content.values()), where
    statuses = set(operation["responses"])
    assert any(s.startswith("2") for s in statuses), where
    assert "security" in operation or spec["security"], where
    for status, answer in operation["responses"].items():
        answer = resolve(spec, answer)
        for media, item in answer.get("content", {}).items():
            assert "schema" in item, f"{where} {status} {media}"
        if status.startswith("4") or status == "503":
            assert answer.get("content"), f"{where} {status} has no body"


def test_only_the_adapters_the_app_serves_are_documented(tmp_path):
    spec = harness(tmp_path, COMPAT_ADAPTERS="ximilar,imagekit").client.get("/openapi.json")
    compat = {
        path.split("/")[2] for path in spec.get_json()["paths"] if path.startswith("/compat/")
    }
    assert compat == {"ximilar", "imagekit"}
    schemes = spec.get_json()["components"]["securitySchemes"]
    assert "XimilarToken" in schemes and "ImageKitBasic" in schemes
    assert "UploadcareSimple" not in schemes


def test_every_real_answer_matches_the_document(exchanges, full_spec):
    validators = Validators(full_spec)
    found = [problem for e in exchanges for problem in problems(full_spec, e, validators)]
    assert found == []


def test_every_route_and_the_usual_statuses_were_provoked(exchanges, full_spec):
    seen = {(find_operation(full_spec, e)[0], e.method) for e in exchanges}
    documented = {(path, method) for path, item in full_spec["paths"].items() for method in item}
    assert documented - seen == set()
    statuses = {e.status for e in exchanges}
    assert {200, 202, 400, 401, 403, 404, 413, 415, 429, 503} <= statuses
    limited = [e for e in exchanges if e.status == 429 and e.path == "/api/v1/limits"]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(limited[0].headers)
    download = next(e for e in exchanges if e.path.startswith("/download-cleaned/"))
    assert (
        download.media == "image/jpeg" and "attachment" in download.headers["Content-Disposition"]
    )


def test_the_stored_examples_are_what_the_code_answers(exchanges):
    files = generated(exchanges)
    stored = {path.name: path.read_text() for path in examples.FOLDER.glob("*.json")}
    assert sorted(stored) == sorted(files), "python -m tests.support.openapi_examples"
    for name, text in files.items():
        assert CLAMAV.sub("ClamAV", stored[name]) == CLAMAV.sub("ClamAV", text), (
            f"{name} is stale: python -m tests.support.openapi_examples"
        )


def test_the_examples_are_served_where_their_answers_are(full_spec):
    stored = dict(examples.stored())
    assert len(stored) >= 30
    for name, example in stored.items():
        answer = full_spec["paths"][example["path"]][example["method"]]["responses"]
        answer = resolve(full_spec, answer[str(example["status"])])
        media = answer["content"][example["mediaType"]]
        assert media["examples"][name]["value"] == example["value"], name
    extract = full_spec["paths"]["/api/v1/extract"]["post"]["responses"]["200"]
    value = extract["content"]["application/json"]["examples"]["extract_completed"]["value"]
    assert value["metadata"]["exif"]["image"]["Make"] == "EASTMAN KODAK COMPANY"
    assert value["virusScan"]["infected"] is False and value["metadata"]["gps"]["latitude"] < 0
    assert json.loads(Path(examples.FOLDER, "scan_infected.json").read_text())["value"][
        "virusScan"
    ]["infected"]


def test_the_request_examples_are_valid_and_run_as_they_are(tmp_path, full_spec):
    """What "try it out" sends by default: every JSON example is valid and runs (answered
    within its ``wait``, or accepted)."""
    h = harness(tmp_path, inline=True)
    validators = Validators(full_spec)
    tried = []
    for path, item in full_spec["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not media or "example" not in media:
                continue
            assert list(validators.of(media["schema"]).iter_errors(media["example"])) == []
            url = path.replace("{cloud_name}", "demo")
            answer = h.client.open(url, method=method, json=media["example"])
            expected = 200 if "wait" in media["example"] or "/compat/" in path else 202
            assert answer.status_code == expected, (path, answer.get_json())
            tried.append(path)
    assert len(tried) >= 10
    extracted = h.client.post("/api/v1/extract", json=requests.job()).get_json()["metadata"]
    assert extracted["exif"]["image"]["Make"] == "exifq" and extracted["gps"]["latitude"] > 48


def test_empty_form_fields_beside_a_file_are_no_inputs(tmp_path):
    """Swagger UI sends a form's empty fields: a file with an empty url and base64 is a file."""
    h = harness(tmp_path, inline=True)
    photo = (io.BytesIO(base64.b64decode(requests.sample_jpeg())), "sample.jpg")
    empty = {"url": "", "base64": "", "callbackUrl": ""}
    answer = h.client.post("/api/v1/hash?wait=5", data={"file": photo, **empty})
    assert answer.status_code == 200 and answer.get_json()["fileName"] == "sample.jpg"
    alone = h.client.post("/api/v1/hash", json={"url": ""})
    assert alone.status_code == 400 and "non-empty" in alone.get_json()["error"]
