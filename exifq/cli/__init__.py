"""The exifq command: run the service, or read, remove and fingerprint image metadata.

One sub-command per operation (``common.operations``: extract, strip, hash, and
any a plug-in registers), each against a server or in-process with --local;
``dedupe`` for near-duplicates; ``keys`` to manage API keys; ``dev``, ``api``,
``worker`` and ``beat`` to run
the service. Every sub-command's module is imported only when it runs, so
``exifq strip --local`` never loads Flask or Celery. The texts people read
(``--help``) are below and in :mod:`exifq.cli.texts`, not in these docstrings.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from common import operations
from common import options as opts
from common.operations import Operation
from exifq.cli import report, texts

DESCRIPTION = """exifq reads, removes and fingerprints image metadata. It runs as a service
(an HTTP API, workers, Redis and storage: "exifq dev" starts all of it on this
machine), and it is the command line of that service: "exifq extract", "strip"
and "hash" send files to the server at EXIFQ_URL, or run here with --local."""
EPILOG = f"""The client commands use EXIFQ_URL (default http://127.0.0.1:8000) and
EXIFQ_API_KEY. "exifq COMMAND --help" describes a command, with examples.

{
    texts.examples(
        "exifq dev                                  # the whole service here; prints its URL",
        "exifq extract photo.jpg                    # metadata as JSON, from the server",
        "exifq strip --local photo.jpg -o clean.jpg # no server needed",
        "exifq hash photos/ > hashes.jsonl          # a folder as one batch, JSON Lines",
    )
}

{report.epilog()}"""
CLIENT_HELP = (
    "Against a server (EXIFQ_URL, EXIFQ_API_KEY) the files go as one batch, or as "
    "consecutive batches when they are more than the server takes at once; --local runs "
    "in-process, with no server.",
    "Each FILE is a file or a directory; directories are walked recursively in sorted "
    "order, their files named by their path relative to the directory given; hidden "
    "entries, symbolic links and special files inside directories are skipped. One FILE "
    "that is a file prints one JSON object; otherwise JSON Lines, one per file, in order, "
    'each with its "name", and a summary line on stderr ("37 done, 2 failed '
    '(corrupt_image ×2)"). Every failure is one line on stderr: "exifq: FILE: CODE: '
    'MESSAGE". Interrupted, the batches go on: --batch UUID,... resumes.',
)
DEDUPE_HELP = (
    "Hash every file on the server (POST /api/v1/remove_duplicates with a _base64 record "
    "per file, _id = its name) and print the clusters of near-duplicates: the kept file, "
    "then each duplicate and its distance. Directories are walked as for extract.",
)


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _add_operation(commands: argparse._SubParsersAction, op: Operation) -> None:
    parser = texts.add_command(
        commands,
        op.cli_name,
        summary=op.summary[:1].lower() + op.summary[1:],
        description=(op.description or op.summary, *CLIENT_HELP),
        example_lines=op.examples or (f"exifq {op.cli_name} photo.jpg",),
        exit_codes=True,
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="an image, or a directory of images"
    )
    parser.add_argument("--local", action="store_true", help="run in-process, no server")
    parser.add_argument(
        "--batch",
        metavar="UUID[,UUID...]",
        type=_csv,
        help="resume watching these batches (no upload; the options given at submission apply)",
    )
    if op.produces_file:
        parser.add_argument(
            "-o",
            "--output",
            metavar="OUT",
            help="output file (one FILE) or directory: files go to OUT/<name>, under the same "
            "relative names; default: NAME.clean.EXT beside each input",
        )
    opts.add_arguments(parser, op.options)


def _add_dedupe(commands: argparse._SubParsersAction) -> None:
    dedupe = texts.add_command(
        commands,
        "dedupe",
        summary="find near-duplicate images (server)",
        description=DEDUPE_HELP,
        example_lines=("exifq dedupe photos/ --range 8", "exifq dedupe photos/ --json"),
        exit_codes=True,
    )
    dedupe.add_argument(
        "files", nargs="*", metavar="DIR_OR_FILE", help="images, or directories of images"
    )
    dedupe.add_argument(
        "--range",
        type=int,
        default=None,
        metavar="N",
        help="largest Hamming distance (bits) between duplicates (default: the server's, "
        "10 for phash, 48 for bmh1)",
    )
    dedupe.add_argument(
        "--hash-type",
        choices=("phash", "bmh1"),
        default="phash",
        help="the hash compared: phash (64 bits, default) or bmh1 (968 bits, finer)",
    )
    dedupe.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    dedupe.add_argument("--job", metavar="UUID", help="follow a job already submitted")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line: the service's parts, then one command per operation; with
    ``only`` (a registered operation's name) that command alone, for a fast start."""
    parser = argparse.ArgumentParser(
        prog="exifq", description=DESCRIPTION, epilog=EPILOG, formatter_class=texts.RAW
    )
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    if only is not None and operations.get(only) is not None:
        _add_operation(commands, operations.get(only))
        return parser
    from exifq.cli import dev, keys, serve

    dev.add_arguments(commands)
    serve.add_arguments(commands)
    keys.add_arguments(commands)
    for op in operations.all_operations():
        _add_operation(commands, op)
    _add_dedupe(commands)
    from exifq.cli import tables

    tables.add_arguments(commands)
    return parser


def _settings_needed(argv: list[str]) -> bool:
    """Whether the command reads the whole settings model: all but a registered operation's
    ``--local`` run without ``--scan``, which reads its few settings without pydantic
    (:mod:`common.quick_settings`, ~0.2 s less start-up)."""
    if not argv or operations.get(argv[0]) is None or "--local" not in argv:
        return True
    return "--scan" in argv


def resume_gc() -> None:
    """Turn the cyclic garbage collector back on (see :func:`main`), the start-up's objects
    frozen first: re-enabled as they are, the first collection would scan all of them (~5 ms)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """The command; its start-up (imports, tables, the first file) runs with the cyclic
    garbage collector paused: it allocates many long-lived objects and no garbage worth
    collecting, and the collections it would trigger cost a one-file command ~2 ms.
    ``--local`` resumes it after the first file (:mod:`exifq.cli.local`: :func:`resume_gc`),
    the other commands (servers, clients) as soon as the arguments are parsed."""
    gc.disable()
    try:
        return _main(argv)
    finally:
        resume_gc()
        gc.unfreeze()  # back to the oldest generation, for a caller that goes on (tests)


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if _settings_needed(argv):
        from common.settings import load_settings

        settings = load_settings()
        only = None
    else:
        from common.quick_settings import load_quick_settings

        settings = load_quick_settings()
        only = argv[0]
    operations.load_modules(settings.OPERATION_MODULES)
    parser = build_parser(only)
    args = parser.parse_args(argv)
    op = operations.get(args.command)
    if op is not None and args.local:
        return _run_operation(parser, args, settings)
    gc.enable()  # a server or client command: the collector as usual, nothing frozen
    if op is not None:
        return _run_operation(parser, args, settings)
    if args.command == "dedupe":
        if not args.files and not args.job:
            parser.error("dedupe: give DIR_OR_FILEs or --job UUID")
        if any(not name.strip() for name in args.files):
            parser.error("an empty argument names no file (it is not the current directory)")
        from exifq.cli import dedupe

        return dedupe.run(args, settings)
    if args.command in ("tables", "doctor"):
        from exifq.cli import tables

        return tables.run(args, settings)
    if args.command == "dev":
        from exifq.cli import dev

        return dev.run(args, settings)
    if args.command == "keys":
        from exifq.cli import keys

        return keys.run(args, settings)
    from exifq.cli import serve  # api, worker, beat

    return serve.run(args, settings)


def _run_operation(parser: argparse.ArgumentParser, args: argparse.Namespace, settings) -> int:
    if any(not name.strip() for name in args.files):
        parser.error("an empty FILE argument names no file (it is not the current directory)")
    if args.local:
        if not args.files or args.batch:
            parser.error("--local needs FILEs and no --batch")
        from exifq.cli import local

        return local.run(args, settings)
    if not args.files and not args.batch:
        parser.error(f"{args.command}: give FILEs or --batch UUID")
    from exifq.cli import batch

    return batch.run(args, settings)


if __name__ == "__main__":
    sys.exit(main())
