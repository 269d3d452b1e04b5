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

from rich.console import Console

from common.settings import Settings
from exifq.batches import server_limits
from exifq.cli import progress as bars
from exifq.cli import report
from exifq.cli.batch import cli_client
from exifq.client import Client
from exifq.errors import ExifqError, ServerUnreachable, error_text
from exifq.inputs import InputError, collect_inputs
from exifq.sources import Input
from exifq.streams import JsonRecordsBody

KIND = "remove_duplicates"
REMOVED = "removed_records"  # on the kept record of a cluster (worker.matching)
DISTANCE = "_distance"  # on each removed record: its Hamming distance to the kept one


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = bars.stderr_console()
    subject = report.subject_of(args.files or [args.job])
    client = cli_client(settings, subject, console.print)
    job = args.job
    try:
        if job is None:
            try:
                inputs = collect_inputs(args.files)
            except InputError as exc:
                console.print(f"exifq: {exc}")
                return report.USAGE
            if not inputs:
                report.say_error(subject, "no_files", "no files found", console.print)
                return report.USAGE
            job = submit(client, args, inputs, console)
            if job is None:
                return report.FAILED
        console.print(f"{KIND} job {job}; to resume watching: {resume_command(job)}")
        with bars.items_bar(console) as bar:
            task = bar.add_task("hashing", total=None, ok=0, failed=0)
            answer = client.similarity_result(
                KIND,
                {"uuid": job, "status": "processing"},
                deadline=None,
                on_status=lambda body: bars.show_counts(bar, task, body),
            )
    except KeyboardInterrupt:
        if job is not None:
            console.print(f"interrupted; resume with: {resume_command(job)}")
        return report.INTERRUPTED
    except ExifqError as exc:
        message = exc.message
        if isinstance(exc, ServerUnreachable):
            message = f"{message}; {report.UNREACHABLE_HINT}"
        report.say_error(subject, exc.code, message, console.print)
        if job is not None:
            console.print(f"the job goes on; watch it with: {resume_command(job)}")
        return report.UNREACHABLE if isinstance(exc, ServerUnreachable) else report.FAILED
    failures = failed_records(answer)
    for record_id, code, message in failures:
        report.say_error(record_id, code, message, console.print)
    found = clusters(answer)
    duplicates = sum(len(removed) for _, removed in found)
    console.print(
        f"{len(found)} clusters, {duplicates} duplicates, {len(failures)} files not hashed",
    )
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(format_clusters(found), end="")
    return report.FAILED if failures else report.OK


def submit(
    client: Client, args: argparse.Namespace, inputs: list[Input], console: Console
) -> str | None:
    """POST the records; the job's UUID, or ``None`` after saying why it was not sent (over
    the server's limits: one request cannot be split). A refusal raises its ``ExifqError``."""
    fields: dict[str, object] = {"hash_type": args.hash_type}
    if args.range is not None:
        fields["range"] = args.range
    max_items, max_bytes = server_limits(client.transport)
    total = JsonRecordsBody(inputs, fields).total
    if len(inputs) > max_items or total > max_bytes:
        report.say_error(
            report.subject_of(args.files),
            "too_large",
            f"{len(inputs)} files, {total:,} bytes as JSON: more than the server takes in one "
            f"request ({max_items:,} files, {max_bytes:,} bytes); a de-duplication cannot be "
            "split, so none was sent",
            console.print,
        )
        return None
    with bars.upload_bar(console) as bar:
        shown = bars.UploadProgress(bar, len(inputs))

        def body() -> tuple[JsonRecordsBody, str]:
            records = JsonRecordsBody(inputs, fields, shown)
            shown.start(records.total)
            return records, "application/json"

        answer = client.similarity_submit(KIND, body)
    return str(answer["uuid"])


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


def failed_records(answer: dict) -> list[tuple[str, str, str]]:
    """``(id, code, message)`` of every record (kept, removed or skipped) whose ``_status`` is
    not 200 (Ximilar's ``{"code": HTTP status, "text": error code, "message"}``)."""
    failed = []

    def visit(record: object) -> None:
        if not isinstance(record, dict):
            return
        status = record.get("_status")
        if isinstance(status, dict) and status.get("code") not in (None, 200):
            code = str(status.get("text") or f"http_{status.get('code')}")
            failed.append((_record_id(record), code, str(status.get("message") or code)))
        for inner in record.get(REMOVED) or []:
            visit(inner)

    for key in ("records", "skipped_records"):
        for record in answer.get(key) or []:
            visit(record)
    if not answer.get("records") and "error" in answer:
        failed.append(("request", "failed", error_text(answer)))
    return failed


def _record_id(record: object) -> str:
    if isinstance(record, dict):
        return str(record.get("_id", record.get("_url", "?")))
    return str(record)


def _distance(record: object) -> int | None:
    value = record.get(DISTANCE) if isinstance(record, dict) else None
    return int(value) if isinstance(value, int | float) else None
