"""``exifq OPERATION FILE_OR_DIR...`` against a server: one batch for all the files.

Sends every file in one streamed ``POST /api/v1/batch`` — or, when the files
are more than the server takes in one (``GET /api/v1/limits``: files per
batch, bytes per request), in as few consecutive batches as fit — prints the
batch UUIDs and how to resume on stderr, follows them with long polls (one
progress bar counting completed and failed items of all of them), then pages
through the items with their results and prints them: one JSON object for a
single file, else JSON Lines in submission order, each with the item's
``name``. An operation that produces a file (``strip``) downloads each one
(to ``-o DIR/<name>``, or ``NAME.clean.EXT`` beside its input).

``--batch UUID[,UUID...]`` watches existing batches instead (no upload);
cleaned files already on disk at their full size are not fetched again.
Ctrl-C prints the command that resumes and exits with 130. Exit status 1
when any item failed.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import requests
from rich.console import Console

from common import operations
from common import options as opts
from common.names import relative_name
from common.settings import Settings
from exifq.cli import progress as bars
from exifq.cli.client import POLL_WAIT, Client, error_text
from exifq.cli.inputs import (
    Input,
    InputError,
    UnsafeName,
    beside,
    collect_inputs,
    names_one_file,
    output_path,
)
from exifq.cli.streams import multipart_body, split_for_batches
from exifq.cli.watch import WatchError, finished, follow

PAGE = 1000  # items per results page
PARALLEL_DOWNLOADS = 4
INTERRUPTED = 130


@dataclass
class Plan:
    """What one run works on: the local inputs (if any) and where cleaned files go."""

    command: str  # the command-line name (``strip``)
    op: str  # the operation's API name (``remove``)
    produces_file: bool  # completed items have a file to download
    inputs: list[Input]
    single_file: bool  # exactly one FILE argument, a file: print one JSON object
    output: str | None
    resuming: bool
    arguments: list[str] = field(default_factory=list)  # the FILE arguments as given
    # The run's batches in order: UUID, and the index in ``inputs`` of its first file.
    batches: list[tuple[str, int]] = field(default_factory=list)
    sent: int = 0  # how many of ``inputs`` those batches hold

    def target(self, index: int, name: str) -> Path:
        """Where the cleaned file of input ``index`` named ``name`` goes (``UnsafeName`` if the
        name would escape the output directory)."""
        if self.output is not None:
            out = Path(self.output)
            if self.output_is_file():
                return out
            return output_path(out, name)
        if not self.resuming and index < len(self.inputs):
            return beside(self.inputs[index].path)
        local = self.by_name.get(name)
        return beside(local) if local else beside(output_path(Path.cwd(), name))

    @functools.cached_property
    def by_name(self) -> dict[str, Path]:
        """Each input's path by the item name the server gives it (to find it when resuming)."""
        return {relative_name(item.name): item.path for item in self.inputs}

    def output_is_file(self) -> bool:
        """``-o`` names the output file (one file, and not a directory, nor ending in ``/``)."""
        out = self.output or ""
        return self.single_file and not out.endswith("/") and not Path(out).is_dir()


def make_plan(args: argparse.Namespace) -> Plan:
    """The inputs the arguments name; ``InputError`` when there are none or they clash."""
    inputs = collect_inputs(args.files) if args.files else []
    if not inputs and not args.batch:
        raise InputError(
            f"no files found in {' '.join(args.files)} (hidden and special files "
            "and symbolic links inside directories are skipped)"
        )
    single = names_one_file(args.files)
    output = getattr(args, "output", None)
    op = operations.get(args.command)
    plan = Plan(args.command, op.name, op.produces_file, inputs, single, output, bool(args.batch))
    plan.arguments = list(args.files)
    plan.batches = [(batch_id, 0) for batch_id in args.batch or []]
    return plan


def options(args: argparse.Namespace) -> dict[str, str]:
    """The options given on the command line, as the batch's form fields."""
    return opts.given_arguments(operations.get(args.command).options, args)


def resume_command(plan: Plan) -> str:
    """The command that resumes watching the run's batches: the files only matter to strip
    writing beside them."""
    argv = ["exifq", plan.command, "--batch", ",".join(batch_id for batch_id, _ in plan.batches)]
    if plan.output is not None:  # a directory keeps a trailing "/", so resuming reads it so
        argv += ["-o", plan.output if plan.output_is_file() else plan.output.rstrip("/") + "/"]
    elif plan.produces_file:
        argv += plan.arguments
    return shlex.join(argv)


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = bars.stderr_console()
    try:
        plan = make_plan(args)
    except InputError as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return 2
    if plan.produces_file and plan.output is None and plan.resuming and not args.files:
        print(
            "exifq: no FILE given: cleaned files go beside their names under the current directory",
            file=sys.stderr,
        )
    client = Client(settings.EXIFQ_URL, settings.EXIFQ_API_KEY)
    try:
        if not plan.resuming and not submit_all(client, plan, options(args), console):
            return 1
        console.print(f"{_batches_text(plan)}; to resume watching: {resume_command(plan)}")
        return finish(client, plan, console)
    except InputError as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if not plan.batches:
            console.print("interrupted before the batch was created")
            return INTERRUPTED
        console.print(f"interrupted; resume with: {resume_command(plan)}")
        if not plan.resuming and plan.sent < len(plan.inputs):
            console.print(
                f"only the first {plan.sent} of {len(plan.inputs)} files were sent; "
                f"the files from {plan.inputs[plan.sent].name} on need a new run"
            )
        return INTERRUPTED
    except (OSError, WatchError) as exc:  # requests' errors are OSErrors too
        return report_error(exc, console)


def _batches_text(plan: Plan) -> str:
    ids = ", ".join(batch_id for batch_id, _ in plan.batches)
    return f"batch {ids}" if len(plan.batches) == 1 else f"{len(plan.batches)} batches {ids}"


def server_limits(client: Client) -> tuple[int, int]:
    """Files per batch and bytes per request the server takes (``GET /api/v1/limits``); no
    limit from a server that does not say."""
    code, limits = client.get("/api/v1/limits")
    if code != 200:
        return sys.maxsize, sys.maxsize
    items, size = limits.get("maxBatchItems"), limits.get("maxBatchBytes")
    return int(items or sys.maxsize), int(size or sys.maxsize)


def submit_all(client: Client, plan: Plan, fields: dict[str, str], console: Console) -> bool:
    """POST the inputs as one batch, or as consecutive batches that fit the server's limits;
    each batch made joins ``plan.batches``. False after printing why the server refused one."""
    chunks = split_for_batches(plan.inputs, *server_limits(client))
    if len(chunks) > 1:
        console.print(
            f"{len(plan.inputs)} files, {sum(i.size for i in plan.inputs):,} bytes: more than the "
            f"server takes in one batch; sending them as {len(chunks)} batches"
        )
    for chunk in chunks:
        batch_id = submit(client, chunk, {"operations": plan.op, **fields}, console)
        if batch_id is None:
            if plan.batches:
                console.print(f"the batches sent go on; watch them with: {resume_command(plan)}")
            return False
        plan.batches.append((batch_id, plan.sent))
        plan.sent += len(chunk)
    return True


def submit(
    client: Client, inputs: list[Input], fields: dict[str, str], console: Console
) -> str | None:
    """POST one batch; its UUID, or ``None`` after printing why the server refused it."""
    with bars.upload_bar(console) as bar:
        shown = bars.UploadProgress(bar, len(inputs))
        body = multipart_body(inputs, fields, shown)
        shown.start(body.len)
        code, answer = client.post("/api/v1/batch", body, body.content_type)
    if code == 413:
        console.print(
            f"exifq: {len(inputs)} files, {sum(i.size for i in inputs):,} bytes: more "
            "than the server takes in one request (MAX_BATCH_BYTES)"
        )
    return accepted(code, answer, console)


def accepted(code: int, answer: dict, console: Console) -> str | None:
    """The UUID of an accepted submission (200/202), or ``None`` after reporting the refusal."""
    if code in (200, 202) and answer.get("uuid"):
        return str(answer["uuid"])
    report_failure({"success": False, "status": "failed", "httpStatus": code, **answer}, console)
    return None


def report_error(exc: OSError | WatchError, console: Console) -> int:
    """A transport failure or a refused status request, reported as a failed request; 1."""
    code = "io_error" if isinstance(exc, OSError) else "status_unavailable"
    report_failure({"success": False, "error": {"code": code, "message": str(exc)}}, console)
    return 1


def report_failure(body: dict, console: Console) -> None:
    """A request that failed as a whole: its reason on stderr, its body as JSON on stdout."""
    console.print(f"exifq: {error_text(body)}")
    print(json.dumps(body, ensure_ascii=False, indent=2), flush=True)


def finish(client: Client, plan: Plan, console: Console) -> int:
    """Watch the run's batches to their end, then print (and for strip, download) every item."""
    latest: dict[str, dict] = {}  # each batch's last status body

    def show(batch_id: str, body: dict) -> None:
        ops = body.get("operations") or [plan.op]
        if plan.op not in ops:
            raise InputError(f"batch {batch_id} has no {plan.op} items (it has {', '.join(ops)})")
        latest[batch_id] = body
        bars.show_counts(bar, task, _sum_counts(latest.values()))

    with bars.items_bar(console) as bar:
        task = bar.add_task(f"{plan.command} via {client.base_url}", total=None, ok=0, failed=0)
        # A first look at every batch (answered at once) puts the whole total on the bar.
        for batch_id, _ in plan.batches:
            poll = functools.partial(client.batch, batch_id, limit=1)
            follow(poll, functools.partial(show, batch_id), until=lambda body: True)
        for batch_id, _ in plan.batches:
            if not finished(latest[batch_id]):
                poll = functools.partial(client.batch, batch_id, wait=POLL_WAIT, limit=1)
                follow(poll, functools.partial(show, batch_id))
        done = _sum_counts(latest.values())
        if plan.resuming and not plan.arguments:  # no FILE: a batch of one prints one object
            plan.single_file = done["total"] == 1
        what = "downloading" if plan.produces_file else "fetching results"
        fetched = bar.add_task(
            what, total=done["total"], ok=done["completed"], failed=done["failed"]
        )
        # On a terminal the lines wait until the bars are gone; else they go out page by page.
        held: list[str] | None = [] if sys.stdout.isatty() and console.is_terminal else None
        status = 0
        for batch_id, start in plan.batches:
            advance = functools.partial(bar.advance, fetched)
            status |= print_items(client, plan, batch_id, advance, held, start)
    for text in held or []:
        print(text)
    return status


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
) -> int:
    """Page through the items, download what strip made, and print one JSON line (or one
    object) per item in submission order (into ``held`` if given); 1 if any item failed.
    ``start``: the index in ``plan.inputs`` of the batch's first file."""
    single = plan.single_file
    failed = 0
    with ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
        try:
            for items in pages(client, batch_id):
                mine = [item for item in items if item.get("op", plan.op) == plan.op]
                lines = list(pool.map(lambda item: item_line(client, plan, item, start), mine))
                for line in lines:
                    failed += not line["success"]
                    text = json.dumps(line, ensure_ascii=False, indent=2 if single else None)
                    if held is None:
                        print(text, flush=True)
                    else:
                        held.append(text)
                advance(len(items))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return 1 if failed else 0


def pages(client: Client, batch_id: str):
    """The batch's items with results, page by page, in submission order."""
    offset: int | None = 0
    while offset is not None:
        code, page = client.batch(batch_id, include="results", offset=offset, limit=PAGE)
        if code != 200:
            raise WatchError(code, page)
        yield page.get("items") or []
        offset = page.get("nextOffset")


def item_line(client: Client, plan: Plan, item: dict, start: int = 0) -> dict:
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
        except (OSError, requests.RequestException) as exc:
            return {**line, "success": False, "error": {"code": "io_error", "message": str(exc)}}
    return line


def _already_there(target: Path, size: object) -> bool:
    """A cleaned file from an earlier run: present, and of the size the server reported."""
    try:
        return target.is_file() and (not isinstance(size, int) or target.stat().st_size == size)
    except OSError:
        return False
