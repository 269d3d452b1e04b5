"""``exifq extract|strip|hash --local``: the operations in-process, no server.

FILE arguments are files or directories, walked and named as for the server
commands (:mod:`common.cli.inputs`). One FILE that is a file prints one JSON
object; otherwise JSON Lines, one object per file in order, each with its
``name``. A file that fails prints ``{"success": false, "error": {...}}`` and
makes the exit status 1; the others still run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common.cli.inputs import (
    Input,
    InputError,
    UnsafeName,
    beside,
    collect_inputs,
    names_one_file,
    output_path,
)
from common.errors import BadRequest, ExifqError
from common.options import extract_options, hash_options, strip_options

if TYPE_CHECKING:
    from common.settings import Settings


def cleaned_path(item: Input, output: str | None, several: bool) -> Path:
    """Where ``strip`` writes: ``-o`` as a file (one input) or directory (``OUT/<name>``),
    else ``NAME.clean.EXT`` beside the input."""
    if output is None:
        return beside(item.path)
    out = Path(output)
    if several or out.is_dir():
        return output_path(out, item.name)
    return out


def _runner(
    args: argparse.Namespace, settings: Settings | None, several: bool
) -> Callable[[Input], dict]:
    if args.command == "extract":
        from worker import operations
        from worker.media.extract import engine

        try:  # ExifTool's tables: built on first use
            engine.use_exiftool(settings.exiftool, settings.tables_dir)
        except engine.ExifToolNotFound as exc:
            raise BadRequest(str(exc)) from None
        options = extract_options(args.pixels, "printed" if args.printed else "raw")
        return lambda item: (
            operations.run_extract(
                item.path.read_bytes(),
                item.path.name,
                options,
                max_pixels=settings.MAX_IMAGE_PIXELS,
            ).result
        )
    if args.command == "hash":
        from worker import operations

        options = hash_options(args.types, args.fast)
        return lambda item: (
            operations.run_hash(
                item.path.read_bytes(),
                item.path.name,
                options,
                max_pixels=settings.MAX_IMAGE_PIXELS,
            ).result
        )
    from worker.media.strip.files import strip_file

    options = strip_options(args.keep, args.drop)
    if several and args.output:
        if Path(args.output).exists() and not Path(args.output).is_dir():
            raise BadRequest(f"-o {args.output}: with several files, -o must be a directory")
        Path(args.output).mkdir(parents=True, exist_ok=True)

    def strip(item: Input) -> dict:
        """File to file (``strip_file``): the output appears whole or not at all."""
        target = cleaned_path(item, args.output, several)
        target.parent.mkdir(parents=True, exist_ok=True)
        report = strip_file(item.path, target, keep=options.keep)
        return {"fileName": item.path.name, **report, "output": str(target)}

    return strip


def run(args: argparse.Namespace, settings: Settings | None) -> int:
    """Run ``args.command`` on every input; ``settings`` may be ``None`` for ``strip``."""
    try:
        inputs = collect_inputs(args.files)
        single = names_one_file(args.files)
        runner = _runner(args, settings, several=not single)
    except (ExifqError, InputError) as exc:
        print(f"exifq: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    status = 0
    for item in inputs:
        head = {} if single else {"name": item.name}
        try:
            body = {**head, "success": True, **runner(item)}
        except (ExifqError, UnsafeName, OSError) as exc:
            error = _error(exc, item)
            body = {**head, "success": False, "fileName": item.path.name, "error": error}
            status = 1
        print(json.dumps(body, ensure_ascii=False, indent=2 if single else None), flush=True)
    return status


def _error(exc: ExifqError | UnsafeName | OSError, item: Input) -> dict:
    """The ``{"code", "message"}`` of a file that failed."""
    if isinstance(exc, ExifqError):
        return exc.to_dict()
    if isinstance(exc, UnsafeName):
        return {"code": "unsafe_name", "message": str(exc)}
    return {"code": "io_error", "message": f"{item.path}: {exc.strerror}"}
