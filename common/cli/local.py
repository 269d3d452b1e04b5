"""``exifq extract|strip|hash --local``: the operations in-process, no server.

One file prints one JSON object; several print JSON Lines, one object per file
in the order given. A file that fails prints ``{"success": false, "error": {...}}``
and makes the exit status 1; the others still run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from common.errors import BadRequest, ExifqError
from common.options import extract_options, hash_options, strip_options
from common.settings import Settings
from worker import operations


def cleaned_path(source: Path, output: str | None, several: bool) -> Path:
    """Where ``strip`` writes: ``-o`` as a file (one input) or directory (several), else beside."""
    if output is None:
        return source.with_name(f"{source.stem}.clean{source.suffix}")
    out = Path(output)
    if several or out.is_dir():
        return out / source.name
    return out


def _runner(args: argparse.Namespace, settings: Settings) -> Callable[[bytes, Path], dict]:
    several = len(args.files) > 1
    if args.command == "extract":
        options = extract_options(args.pixels)
        return lambda data, path: (
            operations.run_extract(
                data, path.name, options, max_pixels=settings.MAX_IMAGE_PIXELS
            ).result
        )
    if args.command == "hash":
        options = hash_options(args.types, args.fast)
        return lambda data, path: (
            operations.run_hash(
                data, path.name, options, max_pixels=settings.MAX_IMAGE_PIXELS
            ).result
        )
    options = strip_options(args.keep, args.drop)
    if several and args.output and not Path(args.output).is_dir():
        raise BadRequest(f"-o {args.output}: with several files, -o must be an existing directory")

    def strip(data: bytes, path: Path) -> dict:
        outcome = operations.run_strip(data, path.name, options)
        target = cleaned_path(path, args.output, several)
        target.write_bytes(outcome.cleaned)
        return {**outcome.result, "output": str(target)}

    return strip


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        runner = _runner(args, settings)
    except ExifqError as exc:
        print(f"exifq: {exc.message}", file=sys.stderr)
        return 2
    several = len(args.files) > 1
    status = 0
    for file in args.files:
        path = Path(file)
        try:
            data = path.read_bytes()
            body = {"success": True, **runner(data, path)}
        except ExifqError as exc:
            body, status = {"success": False, "fileName": path.name, "error": exc.to_dict()}, 1
        except OSError as exc:
            error = {"code": "io_error", "message": f"{file}: {exc.strerror}"}
            body, status = {"success": False, "fileName": path.name, "error": error}, 1
        print(json.dumps(body, ensure_ascii=False, indent=None if several else 2), flush=True)
    return status
