"""Does an answer match the OpenAPI document? The route, the status, the media type, the
required headers, and the body against the answer's JSON Schema (``jsonschema``, the
draft OpenAPI 3.1 uses, ``$ref`` resolved in the document)."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.openapi_scenarios import Exchange

SPEC_URI = "urn:exifq:openapi"


def _pattern(path: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def find_operation(spec: dict, exchange: Exchange) -> tuple[str | None, dict | None]:
    """The path template and operation that answer ``exchange`` (a literal path before one
    with parameters)."""
    matches = [
        path
        for path in spec["paths"]
        if _pattern(path).match(exchange.path) and exchange.method in spec["paths"][path]
    ]
    if not matches:
        return None, None
    path = min(matches, key=lambda p: p.count("{"))
    return path, spec["paths"][path][exchange.method]


def resolve(spec: dict, item: dict) -> dict:
    """``item`` with a ``$ref`` to the document followed."""
    while "$ref" in item:
        node = spec
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        item = node
    return item


class Validators:
    """Validators of the document's schemas, ``$ref`` resolved in the document."""

    def __init__(self, spec: dict) -> None:
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def of(self, schema: dict) -> Draft202012Validator:
        return Draft202012Validator(
            _rebase(schema), registry=self.registry, format_checker=FormatChecker()
        )


def _rebase(value: object) -> object:
    """``$ref: #/...`` as references into the document's URI."""
    if isinstance(value, dict):
        return {
            key: f"{SPEC_URI}{item}" if key == "$ref" and item.startswith("#") else _rebase(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rebase(item) for item in value]
    return value


def problems(spec: dict, exchange: Exchange, validators: Validators | None = None) -> list[str]:
    """What in ``exchange`` the document does not say (empty: it matches)."""
    where = f"{exchange.method.upper()} {exchange.path} → {exchange.status}"
    path, operation = find_operation(spec, exchange)
    if operation is None:
        return [f"{where}: the route is not documented"]
    answer = operation["responses"].get(str(exchange.status))
    if answer is None:
        return [f"{where}: status not documented for {path}"]
    answer = resolve(spec, answer)
    found = []
    for name, header in answer.get("headers", {}).items():
        header = resolve(spec, header)
        if header.get("required") and name not in exchange.headers:
            found.append(f"{where}: header {name} missing")
    content = answer.get("content")
    if not content:
        return found
    if exchange.media not in content:
        return [*found, f"{where}: {exchange.media} not among {sorted(content)}"]
    schema = content[exchange.media].get("schema")
    if schema is not None and exchange.media == "application/json":
        validator = (validators or Validators(spec)).of(schema)
        errors = sorted(validator.iter_errors(exchange.body), key=str)
        found += [f"{where}: {e.message[:300]} at {list(e.absolute_path)}" for e in errors[:3]]
    return found
