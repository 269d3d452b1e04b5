"""The ``exifq`` command: one entry point for the service, its parts and its client.

Each sub-command lives in its own module and is imported only when it runs, so
``exifq strip --local`` never loads Flask or Celery.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


RAW = argparse.RawDescriptionHelpFormatter
CLIENT_HELP = """Run against a server (EXIFQ_URL, EXIFQ_API_KEY) as one batch, or in-process
with --local. Each FILE is a file or a directory; directories are walked
recursively in sorted order and their files named by their path relative to
the directory given. Inside directories, hidden entries (names starting
with "."), symbolic links and special files (FIFOs, sockets, devices) are
skipped. One FILE that is a file prints one JSON object; otherwise JSON
Lines, one per file, in order, each with its "name". More files than the
server takes in one batch (GET /api/v1/limits) go as consecutive batches.
Exit status 1 when any file failed, 130 when interrupted (the batches go on:
--batch UUID,... resumes)."""
DEDUPE_HELP = """Hash every file on the server (POST /api/v1/remove_duplicates with a
_base64 record per file, _id = its name) and print the clusters of
near-duplicates: the kept file, then each duplicate (and its distance).
Directories are walked as for extract."""


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE")
    parser.add_argument("--local", action="store_true", help="run in-process, no server")
    parser.add_argument(
        "--batch",
        metavar="UUID[,UUID...]",
        type=_csv,
        help="resume watching these batches (no upload; FILEs only tell strip where inputs are; "
        "the options given at submission apply)",
    )


def build_parser(services: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without ``services`` no ``dev``/``api``/``worker``/``beat``
    (whose modules import settings and storage: ``exifq strip`` starts faster without them)."""
    parser = argparse.ArgumentParser(prog="exifq", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if services:
        from common.cli import dev, serve

        dev.add_arguments(commands)
        serve.add_arguments(commands)

    extract = commands.add_parser(
        "extract", help="read metadata from images", description=CLIENT_HELP, formatter_class=RAW
    )
    _client_arguments(extract)
    extract.add_argument(
        "--no-pixels",
        dest="pixels",
        action="store_false",
        help="skip pixel work (pHash, colours): metadata only, much faster",
    )
    extract.add_argument(
        "--printed",
        action="store_true",
        help="tag values as ExifTool prints them (1/250, Fired) instead of its -n numbers",
    )

    strip = commands.add_parser(
        "strip", help="remove metadata losslessly", description=CLIENT_HELP, formatter_class=RAW
    )
    _client_arguments(strip)
    strip.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (one FILE) or directory: cleaned files go to OUT/<name>, under the "
        "same relative names; default: NAME.clean.EXT beside each input",
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

    hash_ = commands.add_parser(
        "hash",
        help="perceptual and cryptographic hashes",
        description=CLIENT_HELP,
        formatter_class=RAW,
    )
    _client_arguments(hash_)
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

    dedupe = commands.add_parser(
        "dedupe",
        help="find near-duplicate images (server)",
        description=DEDUPE_HELP,
        formatter_class=RAW,
    )
    dedupe.add_argument("files", nargs="*", metavar="DIR_OR_FILE")
    dedupe.add_argument(
        "--range",
        type=int,
        default=None,
        metavar="N",
        help="largest Hamming distance (bits) between duplicates (default: the server's, "
        "10 for phash, 48 for bmh1)",
    )
    dedupe.add_argument("--hash-type", choices=("phash", "bmh1"), default="phash")
    dedupe.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    dedupe.add_argument("--job", metavar="UUID", help="follow a job already submitted")

    from common.cli import tables

    tables.add_arguments(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(services=argv[:1] != ["strip"])
    args = parser.parse_args(argv)
    if args.command == "strip" and args.local:  # no settings: skip importing pydantic (~0.1 s)
        settings = None
    else:
        from common.settings import load_settings

        settings = load_settings()
    if args.command in ("extract", "strip", "hash"):
        if args.local:
            if not args.files or args.batch:
                parser.error("--local needs FILEs and no --batch")
            from common.cli import local

            return local.run(args, settings)
        if not args.files and not args.batch:
            parser.error(f"{args.command}: give FILEs or --batch UUID")
        from common.cli import batch

        return batch.run(args, settings)
    if args.command == "dedupe":
        if not args.files and not args.job:
            parser.error("dedupe: give DIR_OR_FILEs or --job UUID")
        from common.cli import dedupe

        return dedupe.run(args, settings)
    if args.command in ("tables", "doctor"):
        from common.cli import tables

        return tables.run(args, settings)
    if args.command == "dev":
        from common.cli import dev

        return dev.run(args, settings)
    if args.command in ("api", "worker", "beat"):
        from common.cli import serve

        return serve.run(args, settings)
    raise AssertionError(args.command)  # argparse only accepts the commands above


if __name__ == "__main__":
    sys.exit(main())
