"""The ``exifq`` command: one entry point for the service, its parts and its client.

Each sub-command lives in its own module and is imported only when it runs, so
``exifq strip --local`` never loads Flask or Celery.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from common.settings import load_settings


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    from common.cli import dev, serve

    parser = argparse.ArgumentParser(prog="exifq", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dev.add_arguments(commands)
    serve.add_arguments(commands)

    extract = commands.add_parser("extract", help="read metadata from images")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--local", action="store_true", help="run in-process, no server")
    extract.add_argument(
        "--no-pixels",
        dest="pixels",
        action="store_false",
        help="skip pixel work (pHash, colours): metadata only, much faster",
    )

    strip = commands.add_parser("strip", help="remove metadata losslessly")
    strip.add_argument("files", nargs="+", metavar="FILE")
    strip.add_argument("--local", action="store_true", help="run in-process, no server")
    strip.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (one input) or directory (several); default: NAME.clean.EXT beside each",
    )
    strip.add_argument(
        "--keep",
        type=_csv,
        default=None,
        metavar="LIST",
        help="groups to keep: icc,orientation,copyright (default: icc,orientation)",
    )
    strip.add_argument(
        "--drop",
        type=_csv,
        default=[],
        metavar="LIST",
        help="groups to remove even when kept by default, e.g. icc,orientation",
    )

    hash_ = commands.add_parser("hash", help="perceptual and cryptographic hashes")
    hash_.add_argument("files", nargs="+", metavar="FILE")
    hash_.add_argument("--local", action="store_true", help="run in-process, no server")
    hash_.add_argument(
        "--types",
        type=_csv,
        default=None,
        metavar="LIST",
        help="phash,dhash,ahash,whash,bmh0,bmh1,md5,sha256 (default: phash,md5,sha256)",
    )
    hash_.add_argument(
        "--fast",
        action="store_true",
        help="decode JPEGs at reduced scale first (faster, may differ by a few bits)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if args.command in ("extract", "strip", "hash"):
        if args.local:
            from common.cli import local

            return local.run(args, settings)
        from common.cli import client

        return client.run(args, settings)
    if args.command == "dev":
        from common.cli import dev

        return dev.run(args, settings)
    if args.command in ("api", "worker", "beat"):
        from common.cli import serve

        return serve.run(args, settings)
    raise AssertionError(args.command)  # argparse only accepts the commands above


if __name__ == "__main__":
    sys.exit(main())
