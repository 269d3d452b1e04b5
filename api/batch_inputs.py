"""A batch request's inputs and operations: each file, base64 value and URL as a
:class:`~api.fanout.BatchInput` (an input that cannot be an image is one carrying its error,
never a failed request), and the operations with their options."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Request

from api.fanout import BatchInput, create_batch
from api.inputs import check_url, parse_wait, read_callback, read_inline, read_upload
from api.ratelimit import charge, request_cost
from api.services import Services
from common import operations as registry
from common import options as opts
from common.batches import PLAIN, Batch
from common.errors import BadRequest, ExifqError
from common.fetch import FetchPolicy
from common.names import clean_file_name, relative_name

BATCH_PARAMS = {"operations", "urls", "url", "file", "wait", "key", "base64", "callbackUrl"}


def as_list(value: object, what: str) -> list:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return value
    raise BadRequest(f"{what} must be a list or a comma-separated string")


def parse_operations(params: dict) -> dict[str, dict]:
    """Each requested operation with its options (JSON-safe); an option none of them takes
    is a 400."""
    names = as_list(params.get("operations", "extract"), "operations")
    ops = [registry.get(name) if isinstance(name, str) else None for name in names]
    if not ops or None in ops:
        known = ", ".join(op.name for op in registry.all_operations())
        raise BadRequest(f"operations must be some of {known}")
    ops = list(dict.fromkeys(ops))
    allowed = {name for op in ops for name in opts.names(op.options)}
    unknown = sorted(set(params) - allowed - BATCH_PARAMS)
    if unknown:
        chosen = ", ".join(op.name for op in ops)
        raise BadRequest(f"unknown parameter for operations {chosen}: {', '.join(unknown)}")
    return {op.name: opts.to_json(op.parse_options(params, strict=False)) for op in ops}


@dataclass(frozen=True)
class Parameters:
    """A batch request's parameters, checked: a 400 for a wrong one."""

    operations: dict[str, dict]
    wait: float
    callback_url: str | None

    @classmethod
    def check(cls, params: dict, svc: Services) -> Parameters:
        return cls(
            parse_operations(params),
            parse_wait(params.get("wait")),
            read_callback(params.get("callbackUrl"), svc.settings),
        )

    def create_batch(self, svc: Services, owner: str, inputs: list[BatchInput]) -> Batch:
        """A plain batch of ``inputs`` written at once (``api.fanout.create_batch``), the rate
        limit charged for its jobs first."""
        charge(request_cost(len(inputs) * len(self.operations)))
        return create_batch(
            svc,
            PLAIN,
            owner=owner,
            inputs=inputs,
            operations=self.operations,
            callback_url=self.callback_url,
        )


def url_input(value: object, policy: FetchPolicy) -> BatchInput:
    name = value if isinstance(value, str) else json.dumps(value)
    try:
        return BatchInput(name=name[:2048], url=check_url(value, policy))
    except ExifqError as exc:
        return BatchInput(name=name[:2048], error=exc.to_dict())


def file_input(file, max_bytes: int) -> BatchInput:
    name = relative_name(file.filename)
    try:
        stream, fmt, size = read_upload(file, max_bytes)
    except ExifqError as exc:
        return BatchInput(name=name, error=exc.to_dict())
    return BatchInput(
        name=name, upload=stream, upload_format=fmt, size=size, file_name=clean_file_name(name)
    )


def inline_input(value: object, index: int, max_bytes: int) -> BatchInput:
    try:
        stream, fmt, size, name = read_inline(value, max_bytes)
    except ExifqError as exc:
        return BatchInput(name=f"base64-{index}", error=exc.to_dict())
    name = f"base64-{index}{fmt.extension}"
    return BatchInput(name=name, upload=stream, upload_format=fmt, size=size, file_name=name)


def inline_values(req: Request, params: dict) -> list:
    """``base64``: repeated form fields, or a JSON string or list of strings."""
    if not req.is_json:
        return req.form.getlist("base64")
    value = params.get("base64", [])
    return value if isinstance(value, list) else [value]


def read_inputs(req: Request, params: dict, svc: Services) -> list[BatchInput]:
    """The batch's inputs in order: files first, then base64 files, then URLs."""
    urls = req.form.getlist("url") + req.form.getlist("urls")
    if req.is_json:
        urls += as_list(params.get("urls", []), "urls")
        if "url" in params:
            urls.append(params["url"])
    files = req.files.getlist("file")
    inline = inline_values(req, params)
    count = len(files) + len(urls) + len(inline)
    if count == 0:
        raise BadRequest("send files (multipart 'file'), 'base64' and/or 'urls'")
    if count > svc.settings.MAX_BATCH_ITEMS:
        raise BadRequest(f"too many inputs: {count} (limit {svc.settings.MAX_BATCH_ITEMS})")
    max_bytes = svc.settings.MAX_UPLOAD_BYTES
    policy = FetchPolicy.from_settings(svc.settings)
    uploads = [file_input(file, max_bytes) for file in files]
    uploads += [inline_input(value, i, max_bytes) for i, value in enumerate(inline)]
    return uploads + [url_input(url, policy) for url in urls]
