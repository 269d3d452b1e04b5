"""``exifq OPERATION FILE_OR_DIR...`` against a server: one batch for all the files.

Sends every file in one streamed ``POST /api/v1/batch`` — or, when the files
are more than the server takes in one (``GET /api/v1/limits``: files per
batch, bytes per request), in as few consecutive batches as fit — prints the
batch UUIDs and how to resume on stderr, follows them with long polls (one
progress bar counting completed and failed items of all of them), then pages
through the items with their results and prints them: one JSON object for a
single file, else JSON Lines in submission order, each with the item's
``name``, and a summary line on stderr. An operation that produces a file
(``strip``) downloads each one (to ``-o DIR/<name>``, or ``NAME.clean.EXT``
beside its input). All of it goes through :class:`exifq.Client`.

``--batch UUID[,UUID...]`` watches existing batches instead (no upload);
cleaned files already on disk at their full size are not fetched again.
Ctrl-C prints the command that resumes and exits with 130. Failures are
reported as :mod:`exifq.cli.report` says, with its exit codes.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from rich.console import Console

from common import operations
from common import options as opts
from common.settings import Settings
from exifq import batches
from exifq.cli import progress as bars
from exifq.cli import report
from exifq.cli.plan import Plan, make_plan, resume_command
from exifq.client import Client
from exifq.errors import ExifqError, ServerUnreachable, TooLarge
from exifq.inputs import InputError, UnsafeName
from exifq.jobs import RUNNING, checked_options, form_fields
from exifq.sources import Input

PARALLEL_DOWNLOADS = 4


def cli_client(settings: Settings, subject: str, say: report.Say) -> Client:
    """The run's client: no time limit, and each pause after a 429 or 503 said on stderr."""
    client = Client(settings.EXIFQ_URL, settings.EXIFQ_API_KEY, timeout=None)

    def waiting(error: ExifqError, pause: float) -> None:
        report.say_error(
            subject, error.code, f"{error.message}; asking again in {pause:.0f} s", say
        )

    client.transport.on_wait = waiting
    return client


def options(args: argparse.Namespace) -> dict[str, str]:
    """The options given on the command line, checked, as the batch's form fields
    (``exifq.errors.BadRequest`` for a bad value)."""
    op = operations.get(args.command)
    return form_fields(checked_options(op.name, opts.given_arguments(op.options, args)))


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = bars.stderr_console()
    try:
        plan = make_plan(args)
        fields = options(args)
    except InputError as exc:
        console.print(f"exifq: {exc}")
        return report.USAGE
    except ExifqError as exc:
        report.say_error(report.subject_of(args.files), exc.code, exc.message, console.print)
        return report.USAGE
    if plan.produces_file and plan.output is None and plan.resuming and not args.files:
        console.print(
            "exifq: no FILE given: cleaned files go beside their names under the current directory"
        )
    client = cli_client(settings, report.subject_of(args.files or args.batch), console.print)
    try:
        if not plan.resuming and not submit_all(client, plan, fields, console):
            return report.FAILED
        console.print(f"{_batches_text(plan)}; to resume watching: {resume_command(plan)}")
        return finish(client, plan, console)
    except InputError as exc:
        console.print(f"exifq: {exc}")
        return report.USAGE
    except KeyboardInterrupt:
        if not plan.batches:
            console.print("interrupted before the batch was created")
            return report.INTERRUPTED
        console.print(f"interrupted; resume with: {resume_command(plan)}")
        if not plan.resuming and plan.sent < len(plan.inputs):
            console.print(
                f"only the first {plan.sent} of {len(plan.inputs)} files were sent; "
                f"the files from {plan.inputs[plan.sent].name} on need a new run"
            )
        return report.INTERRUPTED
    except ExifqError as exc:
        return request_failed(plan, exc, console)


def request_failed(plan: Plan, exc: ExifqError, console: Console) -> int:
    """A request that failed as a whole: the error line on stderr (with the command that
    resumes, when batches exist), its body as JSON on stdout; exit 3 or 1."""
    subject = report.subject_of(plan.arguments or [batch_id for batch_id, _ in plan.batches])
    message = exc.message
    if isinstance(exc, ServerUnreachable):
        message = f"{message}; {report.UNREACHABLE_HINT}"
    report.say_error(subject, exc.code, message, console.print)
    if plan.batches and (not plan.resuming or isinstance(exc, ServerUnreachable)):
        console.print(f"the batches sent go on; watch them with: {resume_command(plan)}")
    body = {"success": False, "error": {"code": exc.code, "message": exc.message}}
    if exc.status is not None:
        body["httpStatus"] = exc.status
    print(json.dumps(body, ensure_ascii=False, indent=2), flush=True)
    return report.UNREACHABLE if isinstance(exc, ServerUnreachable) else report.FAILED


def _batches_text(plan: Plan) -> str:
    ids = ", ".join(batch_id for batch_id, _ in plan.batches)
    return f"batch {ids}" if len(plan.batches) == 1 else f"{len(plan.batches)} batches {ids}"


def submit_all(client: Client, plan: Plan, fields: dict[str, str], console: Console) -> bool:
    """POST the inputs as one batch, or as consecutive batches that fit the server's limits;
    each batch made joins ``plan.batches``. A refusal raises its ``ExifqError``."""
    chunks = batches.split(client.transport, plan.inputs)
    if len(chunks) > 1:
        console.print(
            f"{len(plan.inputs)} files, {sum(i.size for i in plan.inputs):,} bytes: more than the "
            f"server takes in one batch; sending them as {len(chunks)} batches"
        )
    for chunk in chunks:
        batch_id = submit(client, chunk, {"operations": plan.op, **fields}, console)
        plan.batches.append((batch_id, plan.sent))
        plan.sent += len(chunk)
    return True


def submit(client: Client, inputs: list[Input], fields: dict[str, str], console: Console) -> str:
    """POST one batch with an upload bar; its UUID."""
    with bars.upload_bar(console) as bar:
        shown = bars.UploadProgress(bar, len(inputs))
        try:
            answer = batches.submit(client.transport, inputs, fields, shown, shown.start)
        except TooLarge as exc:
            message = (
                f"{len(inputs)} files, {sum(i.size for i in inputs):,} bytes: more than the "
                f"server takes in one request (MAX_BATCH_BYTES): {exc.message}"
            )
            raise TooLarge(message, code=exc.code, status=exc.status, body=exc.body) from None
    return str(answer["uuid"])


def finish(client: Client, plan: Plan, console: Console) -> int:
    """Watch the run's batches to their end, then print (and for strip, download) every item."""
    latest: dict[str, dict] = {}  # each batch's last status body

    def show(batch_id: str, body: dict) -> None:
        ops = body.get("operations") or [plan.op]
        if plan.op not in ops:
            raise InputError(
                f"batch {batch_id}", "wrong_operation", f"it has no {plan.op} items ({ops})"
            )
        latest[batch_id] = body
        bars.show_counts(bar, task, _sum_counts(latest.values()))

    tally = report.Tally()
    with bars.items_bar(console) as bar:
        task = bar.add_task(f"{plan.command} via {client.base_url}", total=None, ok=0, failed=0)
        # A first look at every batch (answered at once) puts the whole total on the bar.
        for batch_id, _ in plan.batches:
            show(batch_id, batches.status(client.transport, batch_id, limit=1))
        for batch_id, _ in plan.batches:
            if latest[batch_id].get("status") in RUNNING:
                batches.watch(
                    client.transport, batch_id, on_status=functools.partial(show, batch_id)
                )
        done = _sum_counts(latest.values())
        if plan.resuming and not plan.arguments:  # no FILE: a batch of one prints one object
            plan.single_file = done["total"] == 1
        what = "downloading" if plan.produces_file else "fetching results"
        fetched = bar.add_task(
            what, total=done["total"], ok=done["completed"], failed=done["failed"]
        )
        # On a terminal the lines wait until the bars are gone; else they go out page by page.
        held: list[str] | None = [] if sys.stdout.isatty() and console.is_terminal else None
        for batch_id, start in plan.batches:
            advance = functools.partial(bar.advance, fetched)
            print_items(client, plan, batch_id, advance, held, start, tally, console)
    for text in held or []:
        print(text)
    if not plan.single_file:
        console.print(tally.summary())
    return tally.status


def _sum_counts(bodies: Iterable[dict]) -> dict[str, int]:
    """``total``, ``completed`` and ``failed`` over several batches' status bodies."""
    keys = ("total", "completed", "failed")
    return {key: sum(int(body.get(key) or 0) for body in bodies) for key in keys}


def print_items(
    client: Client,
    plan: Plan,
    batch_id: str,
    advance: Callable[[int], object],
    held: list[str] | None = None,
    start: int = 0,
    tally: report.Tally | None = None,
    console: Console | None = None,
) -> None:
    """Page through the items, download what strip made, and print one JSON line (or one
    object) per item in submission order (into ``held`` if given); each failure also as an
    error line on stderr, counted in ``tally``. ``start``: the index in ``plan.inputs`` of
    the batch's first file."""
    tally = tally if tally is not None else report.Tally()
    say = console.print if console is not None else report.stderr
    with ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
        try:
            for items in batches.pages(client.transport, batch_id):
                mine = [item for item in items if item.get("op", plan.op) == plan.op]
                lines = list(pool.map(lambda item: item_line(client, plan, item, start), mine))
                for line in lines:
                    error = line.get("error") or {}
                    tally.add(line["success"], error.get("code"))
                    if not line["success"]:
                        report.say_error(line["name"], error.get("code"), error.get("message"), say)
                    text = json.dumps(
                        line, ensure_ascii=False, indent=2 if plan.single_file else None
                    )
                    if held is None:
                        print(text, flush=True)
                    else:
                        held.append(text)
                advance(len(items))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def item_line(client: Client | None, plan: Plan, item: dict, start: int = 0) -> dict:
    """The JSON line of one item: its name, status, and result or error; for a completed strip
    item the cleaned file is downloaded (unless already there when resuming). ``start``: the
    index in ``plan.inputs`` of the first file of the item's batch."""
    name = str(item.get("name", ""))
    line = {
        "name": name,
        "fileName": PurePosixPath(name).name,
        "success": item.get("status") == "completed",
        "status": item.get("status"),
        "uuid": item.get("uuid"),
    }
    if item.get("status") != "completed":
        error = item.get("error") or {"code": "unknown", "message": "the item did not complete"}
        return {**line, "success": False, "error": error}
    line.update(item.get("result") or {})
    line["success"] = True
    if plan.produces_file and item.get("downloadUrl"):
        line.setdefault("downloadUrl", item["downloadUrl"])
        try:
            target = plan.target(start + int(item.get("index", -1)), name)
            if not (plan.resuming and _already_there(target, line.get("bytesAfter"))):
                client.download(item["downloadUrl"], target)
            line["output"] = str(target)
        except UnsafeName as exc:
            return {**line, "success": False, "error": {"code": "unsafe_name", "message": str(exc)}}
        except ExifqError as exc:
            return {**line, "success": False, "error": {"code": exc.code, "message": exc.message}}
        except OSError as exc:
            return {**line, "success": False, "error": {"code": "io_error", "message": str(exc)}}
    return line


def _already_there(target: Path, size: object) -> bool:
    """A cleaned file from an earlier run: present, and of the size the server reported."""
    try:
        return target.is_file() and (not isinstance(size, int) or target.stat().st_size == size)
    except OSError:
        return False
