"""Regenerate the OpenAPI document's examples from real answers::

    python -m tests.support.openapi_examples

Runs every scenario of ``tests.support.openapi_scenarios`` (the in-process service on
corpus files, with a private clamd) and writes each named answer to
``api/openapi/examples/<name>.json``, removing examples no scenario names any more.
``tests/unit/service/test_openapi.py`` fails until this is run after a change to what the
service answers.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from api.compat.base import ADAPTERS
from api.openapi import build_spec
from api.openapi.examples import FOLDER
from tests.support.openapi_scenarios import Exchange, dumps, examples, run


def record(folder: Path) -> list[Exchange]:
    """Every scenario's exchanges, with a private clamd in ``folder``."""
    from tests.support import clamd as private

    clamd = private.start(folder / "clamd")
    try:
        return run(folder, clamd.url)
    finally:
        clamd.stop()


def generated(exchanges: list[Exchange]) -> dict[str, str]:
    """File name → the text the examples folder should hold."""
    spec = build_spec(ADAPTERS)
    return {f"{name}.json": dumps(example) for name, example in examples(exchanges, spec).items()}


def main() -> int:
    from common.settings import load_settings
    from worker.media.extract import engine

    settings = load_settings()
    engine.use_exiftool(settings.exiftool, settings.tables_dir)
    with tempfile.TemporaryDirectory() as tmp:
        files = generated(record(Path(tmp)))
    FOLDER.mkdir(exist_ok=True)
    for old in FOLDER.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (FOLDER / name).write_text(text)
    print(f"{len(files)} examples written to {FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
