"""Helpers of the drop-in adapter tests: run a seed's snippets against a stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import requests

from common import operations
from common import options as opts


def run_python(code: str, namespace: dict, cwd: Path) -> dict:
    """``exec`` a snippet in ``cwd`` with ``namespace`` (kept between snippets, as in one
    script); the namespace afterwards."""
    before = Path.cwd()
    os.chdir(cwd)
    try:
        exec(compile(code, "<seed snippet>", "exec"), namespace)  # the seed's own code
    finally:
        os.chdir(before)
    return namespace


def run_curl(command: str, cwd: Path) -> dict:
    """Run a seed's ``curl`` command with bash in ``cwd``; its JSON answer."""
    if shutil.which("curl") is None:
        raise RuntimeError("curl is not installed")
    proc = subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def engine_has(op: str, option: str) -> bool:
    """Whether the engine's ``op`` takes ``option`` (a feature another branch adds)."""
    operation = operations.get(op)
    return operation is not None and option in opts.names(operation.options)


def native(api_url: str, op: str, key: str, **form: object) -> dict:
    """A native synchronous job (``?wait=``), for comparing an adapter's answer with."""
    files = form.pop("files", None)
    answer = requests.post(
        f"{api_url}/api/v1/{op}",
        params={"wait": 30},
        headers={"X-API-Key": key},
        data=form,
        files=files,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def never_server_error(answer: requests.Response) -> None:
    assert answer.status_code < 500 or answer.status_code == 503, (
        answer.status_code,
        answer.text,
    )
