"""``exifq extract|strip|hash FILE_OR_DIR...`` against a server: one batch for all the files.

Sends every file in one streamed ``POST /api/v1/batch``, prints the batch
UUID and how to resume on stderr, follows it with long polls (a progress bar
counting completed and failed items), then pages through the items with
their results and prints them: one JSON object for a single file, else JSON
Lines in submission order, each with the item's ``name``. ``strip`` downloads
each cleaned file (to ``-o DIR/<name>``, or ``NAME.clean.EXT`` beside its input).

``--batch UUID`` watches an existing batch instead (no upload); cleaned files
already on disk at their full size are not fetched again. Ctrl-C prints the
command that resumes and exits with 130. Exit status 1 when any item failed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import requests
from rich.console import Console

from common.cli import progress as bars
from common.cli.client import POLL_WAIT, Client, error_text
from common.cli.inputs import (
    Input,
    InputError,
    UnsafeName,
    beside,
    clean_name,
    collect_inputs,
    output_path,
)
from common.cli.streams import multipart_body
from common.cli.watch import WatchError, follow
from common.settings import Settings

OPS = {"extract": "extract", "strip": "remove", "hash": "hash"}
PAGE = 1000  # items per results page
PARALLEL_DOWNLOADS = 4
INTERRUPTED = 130


@dataclass
class Plan:
    """What one run works on: the local inputs (if any) and where cleaned files go."""

    command: str
    op: str
    inputs: list[Input]
    single_file: bool  # exactly one FILE argument, a file: print one JSON object
    output: str | None
    resuming: bool
    arguments: list[str] = field(default_factory=list)  # the FILE arguments as given
    by_name: dict[str, Path] = field(default_factory=dict)

    def target(self, index: int, name: str) -> Path:
        """Where the cleaned file of item ``index`` named ``name`` goes (``UnsafeName`` if the
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

    def output_is_file(self) -> bool:
        """``-o`` names the output file (one file, and not a directory, nor ending in ``/``)."""
        out = self.output or ""
        return self.single_file and not out.endswith("/") and not Path(out).is_dir()


def make_plan(args: argparse.Namespace) -> Plan:
    """The inputs the arguments name; ``InputError`` when there are none or they clash."""
    inputs = collect_inputs(args.files) if args.files else []
    if not inputs and args.batch is None:
        raise InputError(
            f"no files found in {' '.join(args.files)} (hidden and special files "
            "and symbolic links inside directories are skipped)"
        )
    single = len(args.files) == 1 and Path(args.files[0]).is_file()
    output = getattr(args, "output", None)
    plan = Plan(args.command, OPS[args.command], inputs, single, output, args.batch is not None)
    plan.arguments = list(args.files)
    plan.by_name = {clean_name(item.name): item.path for item in inputs}
    return plan


def options(args: argparse.Namespace) -> dict[str, str]:
    """The command's options as the batch form fields (``pixels``, ``keep``/``drop``, ``types``)."""
    if args.command == "extract":
        return {"pixels": str(args.pixels).lower()}
    if args.command == "hash":
        fields = {"types": ",".join(args.types)} if args.types else {}
        if args.fast:
            fields["fast"] = "true"
        return fields
    fields = {"keep": ",".join(args.keep)} if args.keep is not None else {}
    if args.drop:
        fields["drop"] = ",".join(args.drop)
    return fields


def resume_command(plan: Plan, batch_id: str) -> str:
    """The command that resumes watching: the files only matter to strip writing beside them."""
    argv = ["exifq", plan.command, "--batch", batch_id]
    if plan.output is not None:  # a directory keeps a trailing "/", so resuming reads it so
        argv += ["-o", plan.output if plan.output_is_file() else plan.output.rstrip("/") + "/"]
    elif plan.command == "strip":
        argv += plan.arguments
    return shlex.join(argv)


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = bars.stderr_console()
    try:
        plan = make_plan(args)
    except InputError as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return 2
    if plan.command == "strip" and plan.output is None and plan.resuming and not args.files:
        print(
            "exifq: no FILE given: cleaned files go beside their names under the current directory",
            file=sys.stderr,
        )
    client = Client(settings.EXIFQ_URL, settings.EXIFQ_API_KEY)
    batch_id = args.batch
    try:
        if batch_id is None:
            batch_id = submit(client, plan, options(args), console)
            if batch_id is None:
                return 1
        console.print(
            f"batch {batch_id}; to resume watching: {resume_command(plan, batch_id)}",
        )
        return finish(client, plan, batch_id, console)
    except InputError as exc:
        print(f"exifq: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if batch_id is None:
            console.print("interrupted before the batch was created")
        else:
            console.print(
                f"interrupted; resume with: {resume_command(plan, batch_id)}",
            )
        return INTERRUPTED
    except (OSError, WatchError) as exc:  # requests' errors are OSErrors too
        code = "io_error" if isinstance(exc, OSError) else "status_unavailable"
        report_failure({"success": False, "error": {"code": code, "message": str(exc)}}, console)
        return 1


def submit(client: Client, plan: Plan, fields: dict[str, str], console: Console) -> str | None:
    """POST the batch; its UUID, or ``None`` after printing why the server refused it."""
    with bars.upload_bar(console) as bar:
        shown = bars.UploadProgress(bar, len(plan.inputs))
        body = multipart_body(plan.inputs, {"operations": plan.op, **fields}, shown)
        shown.start(body.len)
        code, answer = client.post("/api/v1/batch", body, body.content_type)
    if code in (200, 202) and answer.get("uuid"):
        return str(answer["uuid"])
    if code == 413:
        console.print(
            f"exifq: {len(plan.inputs)} files, {sum(i.size for i in plan.inputs):,} bytes: more "
            "than the server takes in one batch (MAX_BATCH_BYTES); send fewer files per run"
        )
    report_failure({"success": False, "status": "failed", "httpStatus": code, **answer}, console)
    return None


def report_failure(body: dict, console: Console) -> None:
    """A request that failed as a whole: its reason on stderr, its body as JSON on stdout."""
    console.print(f"exifq: {error_text(body)}")
    print(json.dumps(body, ensure_ascii=False, indent=2), flush=True)


def finish(client: Client, plan: Plan, batch_id: str, console: Console) -> int:
    """Watch the batch to its end, then print (and for strip, download) every item."""

    def show(body: dict) -> None:
        ops = body.get("operations") or [plan.op]
        if plan.op not in ops:
            raise InputError(f"batch {batch_id} has no {plan.op} items (it has {', '.join(ops)})")
        if plan.resuming and not plan.arguments:  # no FILE: a batch of one prints one object
            plan.single_file = body.get("total") == 1
        bars.show_counts(bar, task, body)

    waits = iter([0])  # the first poll answers at once, so the bar shows the total at once
    with bars.items_bar(console) as bar:
        task = bar.add_task(f"{plan.command} via {client.base_url}", total=None, ok=0, failed=0)
        done = follow(lambda: client.batch(batch_id, wait=next(waits, POLL_WAIT), limit=1), show)
        what = "downloading" if plan.op == "remove" else "fetching results"
        fetched = bar.add_task(
            what, total=done.get("total"), ok=done.get("completed", 0), failed=done.get("failed", 0)
        )
        # On a terminal the lines wait until the bars are gone; else they go out page by page.
        held: list[str] | None = [] if sys.stdout.isatty() and console.is_terminal else None
        status = print_items(client, plan, batch_id, done, lambda n: bar.advance(fetched, n), held)
    for text in held or []:
        print(text)
    return status


def print_items(
    client: Client,
    plan: Plan,
    batch_id: str,
    done: dict,
    advance: Callable[[int], object],
    held: list[str] | None = None,
) -> int:
    """Page through the items, download what strip made, and print one JSON line (or one
    object) per item in submission order (into ``held`` if given); 1 if any item failed."""
    single = plan.single_file
    failed = 0
    with ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
        try:
            for items in pages(client, batch_id):
                mine = [item for item in items if item.get("op", plan.op) == plan.op]
                lines = list(pool.map(lambda item: item_line(client, plan, item), mine))
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


def item_line(client: Client, plan: Plan, item: dict) -> dict:
    """The JSON line of one item: its name, status, and result or error; for a completed strip
    item the cleaned file is downloaded (unless already there when resuming)."""
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
    if plan.op == "remove" and item.get("downloadUrl"):
        line.setdefault("downloadUrl", item["downloadUrl"])
        try:
            target = plan.target(int(item.get("index", -1)), name)
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
