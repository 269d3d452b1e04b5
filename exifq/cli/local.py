"""``exifq OPERATION --local``: the operations in-process, no server.

FILE arguments are files or directories, walked and named as for the server
commands (:mod:`exifq.inputs`). One FILE that is a file prints one JSON
object; otherwise JSON Lines, one object per file in order, each with its
``name``. A file that fails prints ``{"success": false, "error": {...}}`` and
makes the exit status 1 (and an error line on stderr); the others still run. Several
files end with the summary line (:mod:`exifq.cli.report`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common import operations
from common import options as opts
from common.errors import BadRequest, ExifqError
from common.operations import Limits, Source
from exifq.cli import report, resume_gc
from exifq.inputs import (
    Input,
    InputError,
    UnsafeName,
    beside,
    collect_inputs,
    names_one_file,
    output_path,
)

if TYPE_CHECKING:
    from common.quick_settings import QuickSettings
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
    args: argparse.Namespace, settings: Settings | QuickSettings | None, several: bool
) -> Callable[[Input], dict]:
    """What runs on each input: the operation's runner, or its file runner (file to file)
    when the operation produces a file."""
    operation = operations.get(args.command)
    if operation.name == "extract":
        _use_exiftool(settings)
    chosen = opts.from_arguments(operation.options, args)
    limits = (
        Limits(max_pixels=settings.MAX_IMAGE_PIXELS, approx_pixels=settings.APPROX_PIXELS_MAX)
        if settings
        else Limits()
    )
    if _scanning(chosen):
        output = getattr(args, "output", None)
        return _scanning_runner(operation, chosen, limits, settings, output, several)
    if not operation.produces_file:
        return lambda item: (
            operation.run(Source(item.path.name, item.path.read_bytes()), chosen, limits).result
        )
    if several and args.output:
        if Path(args.output).exists() and not Path(args.output).is_dir():
            raise BadRequest(f"-o {args.output}: with several files, -o must be a directory")
        Path(args.output).mkdir(parents=True, exist_ok=True)

    def to_file(item: Input) -> dict:
        """File to file: the output appears whole or not at all."""
        target = cleaned_path(item, args.output, several)
        target.parent.mkdir(parents=True, exist_ok=True)
        if operation.run_file is not None:
            result = operation.run_file(item.path, target, chosen, limits)
        else:
            outcome = operation.run(Source(item.path.name, item.path.read_bytes()), chosen, limits)
            _write_whole(target, outcome.cleaned or b"")
            result = outcome.result
        return {**result, "output": str(target)}

    return to_file


def _scanning(options: object) -> bool:
    """As ``worker.scan.wanted``, without importing it (a plain strip loads no settings)."""
    return bool(getattr(options, "scan", False))


def _scanning_runner(operation, chosen, limits, settings, output, several):
    """With a virus scan (``CLAMD_URL``): whole files in memory; an infected file gets no
    output file."""
    from common.clamav import ScanFailed, ScanUnavailable
    from common.settings import load_settings
    from worker.scan import run_with_scan

    config = settings if hasattr(settings, "CLAMD_URL") else load_settings()

    def scan_and_run(item: Input) -> dict:
        source = Source(item.path.name, item.path.read_bytes())
        try:
            outcome = run_with_scan(operation, source, chosen, limits, config)
        except ScanUnavailable as exc:  # no retries here: say so
            raise ScanFailed(str(exc)) from exc
        if not operation.produces_file or outcome.cleaned is None:
            return outcome.result
        target = cleaned_path(item, output, several)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_whole(target, outcome.cleaned)
        return {**outcome.result, "output": str(target)}

    return scan_and_run


def _use_exiftool(settings: Settings | QuickSettings) -> None:
    """Extraction reads ExifTool's tag tables from the installed ExifTool (built on first use)."""
    from worker.media.extract import engine, tables

    try:  # built (once) before the first file, so a problem is one message, not one per file
        engine.use_exiftool(settings.exiftool, settings.tables_dir)
        tables.active()
    except engine.TablesUnavailable as exc:
        raise BadRequest(str(exc)) from None


def _write_whole(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file beside it (all or nothing)."""
    partial = target.with_name(f".{target.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def run(args: argparse.Namespace, settings: Settings | QuickSettings | None) -> int:
    """Run ``args.command`` on every input; without ``settings`` the default limits apply."""
    try:
        inputs = collect_inputs(args.files)
        single = names_one_file(args.files)
        runner = _runner(args, settings, several=not single)
    except InputError as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return report.USAGE
    except ExifqError as exc:
        report.say_error(report.subject_of(args.files), exc.code, exc.message)
        return report.USAGE
    if not inputs:
        report.say_error(report.subject_of(args.files), "no_files", "no files found")
        return report.USAGE
    tally = report.Tally()
    for item in inputs:
        head = {} if single else {"name": item.name}
        try:
            body = {**head, "success": True, **runner(item)}
        except (ExifqError, UnsafeName, OSError) as exc:
            error = _error(exc, item)
            body = {**head, "success": False, "fileName": item.path.name, "error": error}
            report.say_error(item.name, error["code"], error["message"])
        tally.add(body["success"], body.get("error", {}).get("code"))
        print(json.dumps(body, ensure_ascii=False, indent=2 if single else None), flush=True)
        resume_gc()  # the start-up is over (exifq.cli.main)
    if not single:
        report.stderr(tally.summary())
    return tally.status


def _error(exc: ExifqError | UnsafeName | OSError, item: Input) -> dict:
    """The ``{"code", "message"}`` of a file that failed."""
    if isinstance(exc, ExifqError):
        return exc.to_dict()
    if isinstance(exc, UnsafeName):
        return {"code": "unsafe_name", "message": str(exc)}
    return {"code": "io_error", "message": f"{item.path}: {exc.strerror}"}
