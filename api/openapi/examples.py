"""Examples taken from real responses, stored under ``api/openapi/examples/`` and attached to the
answers they came from (an error shared by many routes: to the shared answer).

Each file is one answer the service gave in ``tests/support/openapi_scenarios.py``
(the in-process harness running the real operations on corpus files):
``{"summary", "path", "method", "status", "mediaType", "value"}``. Regenerate
them with ``python -m tests.support.openapi_examples``;
``tests/unit/service/test_openapi.py`` fails when they differ from what the code
answers, so they never go stale. An example whose route this app does not serve (an
adapter that is off) is left out.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "examples"


@cache
def stored(folder: Path = FOLDER) -> tuple[tuple[str, dict], ...]:
    """``(name, example)`` for every stored example, by name."""
    return tuple(
        (path.stem, json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))
    )


def attach(spec: dict, folder: Path = FOLDER) -> dict:
    """``spec`` with each stored example added to its answer's ``examples``."""
    for name, example in stored(folder):
        operation = spec["paths"].get(example["path"], {}).get(example["method"])
        if operation is None:
            continue
        answer = operation["responses"][str(example["status"])]
        if "$ref" in answer:  # a shared answer (components/responses): its example is shared
            answer = spec["components"]["responses"][answer["$ref"].rpartition("/")[2]]
        media = answer["content"][example["mediaType"]]
        media.setdefault("examples", {})[name] = {
            "summary": example["summary"],
            "value": copy.deepcopy(example["value"]),
        }
    return spec
