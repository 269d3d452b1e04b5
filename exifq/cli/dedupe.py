"""``exifq dedupe DIR_OR_FILE... --range 8``: near-duplicate clusters, found by the server.

Sends every file as a ``_base64`` record (``_id`` = its name: the path relative
to the directory given) in one streamed ``POST /api/v1/remove_duplicates``,
follows the job, and prints each cluster: the kept file, then each duplicate
it removes (with the distance when the server gives one), a blank line
between clusters. ``--json`` prints the server's answer instead. Records the
server could not hash are listed on stderr and make the exit status 1.
``--job UUID`` follows a job already submitted; Ctrl-C says how, exit 130.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from rich.console import Console

from common.settings import Settings
from exifq.cli import progress as bars
from exifq.cli.batch import INTERRUPTED, accepted, report_error, server_limits
from exifq.cli.client import POLL_WAIT, Client, error_text
from exifq.cli.inputs import InputError, collect_inputs
from exifq.cli.streams import JsonRecordsBody
from exifq.cli.watch import WatchError, follow

KIND = "remove_duplicates"
REMOVED = "removed_records"  # on the kept record of a cluster (worker.matching)
DISTANCE = "_distance"  # on each removed record: its Hamming distance to the kept one


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = bars.stderr_console()
    client = Client(settings.EXIFQ_URL, settings.EXIFQ_API_KEY)
    job = args.job
    try:
        if job is None:
            try:
                inputs = collect_inputs(args.files)
            except InputError as exc:
                print(f"exifq: {exc}", file=sys.stderr)
                return 2
            if not inputs:
                print(f"exifq: no files found in {' '.join(args.files)}", file=sys.stderr)
                return 2
            job = submit(client, args, inputs, console)
            if job is None:
                return 1
        console.print(
            f"{KIND} job {job}; to resume watching: {resume_command(job)}",
        )
        with bars.items_bar(console) as bar:
            task = bar.add_task("hashing", total=None, ok=0, failed=0)
            answer = follow(
                lambda: client.get(f"/api/v1/{KIND}/{job}", wait=POLL_WAIT),
                lambda body: bars.show_counts(bar, task, body),
            )
    except KeyboardInterrupt:
        if job is not None:
            console.print(f"interrupted; resume with: {resume_command(job)}")
        return INTERRUPTED
    except (OSError, WatchError) as exc:
        return report_error(exc, console)
    failures = failed_records(answer)
    for record_id, reason in failures:
        console.print(f"exifq: {record_id}: {reason}")
    found = clusters(answer)
    duplicates = sum(len(removed) for _, removed in found)
    console.print(
        f"{len(found)} clusters, {duplicates} duplicates, {len(failures)} files not hashed",
    )
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(format_clusters(found), end="")
    return 1 if failures else 0


def submit(client: Client, args: argparse.Namespace, inputs, console: Console) -> str | None:
    """POST the records; the job's UUID, or ``None`` after saying why it was not sent or was
    refused (over the server's limits it is not sent: one request cannot be split)."""
    fields = {"hash_type": args.hash_type}
    if args.range is not None:
        fields["range"] = args.range
    max_items, max_bytes = server_limits(client)
    body = JsonRecordsBody(inputs, fields)
    if len(inputs) > max_items or body.total > max_bytes:
        console.print(
            f"exifq: {len(inputs)} files, {body.total:,} bytes as JSON: more than the server "
            f"takes in one request ({max_items:,} files, {max_bytes:,} bytes); a "
            "de-duplication cannot be split, so none was sent"
        )
        return None
    with bars.upload_bar(console) as bar:
        body.on_progress = bars.UploadProgress(bar, len(inputs))
        body.on_progress.start(body.total)
        code, answer = client.post(f"/api/v1/{KIND}", body, "application/json")
    return accepted(code, answer, console)


def resume_command(job: str) -> str:
    return shlex.join(["exifq", "dedupe", "--job", job])


def clusters(answer: dict) -> list[tuple[str, list[tuple[str, int | None]]]]:
    """``(kept id, [(removed id, distance or None), ...])`` for each record that removes others,
    in the answer's order."""
    found = []
    for record in answer.get("records") or []:
        removed = record.get(REMOVED)
        if not removed:
            continue
        found.append((_record_id(record), [(_record_id(r), _distance(r)) for r in removed]))
    return found


def format_clusters(found: list[tuple[str, list[tuple[str, int | None]]]]) -> str:
    """Each cluster: the kept name, then each duplicate indented (tab, distance); blank line
    between clusters."""
    blocks = []
    for kept, removed in found:
        lines = [kept]
        for name, distance in removed:
            lines.append(f"    {name}" + ("" if distance is None else f"\tdistance {distance}"))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def failed_records(answer: dict) -> list[tuple[str, str]]:
    """``(id, reason)`` of every record (kept, removed or skipped) whose ``_status`` is not 200."""
    failed = []

    def visit(record: object) -> None:
        if not isinstance(record, dict):
            return
        status = record.get("_status")
        if isinstance(status, dict) and status.get("code") not in (None, 200):
            reason = ": ".join(str(status[k]) for k in ("text", "message") if status.get(k))
            failed.append((_record_id(record), reason or str(status)))
        for inner in record.get(REMOVED) or []:
            visit(inner)

    for key in ("records", "skipped_records"):
        for record in answer.get(key) or []:
            visit(record)
    if not answer.get("records") and "error" in answer:
        failed.append(("request", error_text(answer)))
    return failed


def _record_id(record: object) -> str:
    if isinstance(record, dict):
        return str(record.get("_id", record.get("_url", "?")))
    return str(record)


def _distance(record: object) -> int | None:
    value = record.get(DISTANCE) if isinstance(record, dict) else None
    return int(value) if isinstance(value, int | float) else None
