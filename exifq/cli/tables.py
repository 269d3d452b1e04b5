"""``exifq tables build`` and ``exifq doctor``: ExifTool's tag tables on this machine.

exifq reads ExifTool's tag tables from the installed ExifTool (``EXIFTOOL``, else
``exiftool`` on PATH) and builds them once into ``TABLES_DIR`` (default: the user
cache directory); the worker and ``extract --local`` do it on first need, these
commands on demand (``build``) or only to look (``doctor``). The logic is
:mod:`worker.media.extract.engine`'s.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.settings import Settings


def add_arguments(commands: argparse._SubParsersAction) -> None:
    from exifq.cli.texts import add_command

    tables = add_command(
        commands,
        "tables",
        summary="build ExifTool's tag tables for this machine",
        description="exifq reads ExifTool's tag tables from the installed ExifTool (EXIFTOOL, "
        "else exiftool on PATH) and builds them once per ExifTool version into TABLES_DIR. "
        "Workers and extract --local build them on first need; this builds them now.",
        example_lines=("exifq tables build", "exifq tables build --force"),
    )
    actions = tables.add_subparsers(
        dest="tables_command", required=True, metavar="ACTION", help="build: build them now"
    )
    build = actions.add_parser("build", help="build them now (once per ExifTool version)")
    build.add_argument("--force", action="store_true", help="build again even if built")
    add_command(
        commands,
        "doctor",
        summary="ExifTool's version and path, where the tables are, what was translated",
        description="Print the ExifTool exifq reads its tag tables from (version, program, "
        "library), where the built tables are, and how many of ExifTool's expressions were "
        "compiled or left out. Builds nothing.",
        example_lines=("exifq doctor", "EXIFTOOL=/opt/exiftool/exiftool exifq doctor"),
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from worker.media.extract import engine

    try:
        if args.command == "doctor":
            report = engine.doctor(settings.exiftool, settings.tables_dir)
        else:
            report = engine.build_tables(settings.exiftool, settings.tables_dir, force=args.force)
    except engine.TablesUnavailable as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    if args.command != "doctor":
        print(f"ready in {report.seconds:.1f} s")
    return 0
