"""``exifq api``, ``exifq worker``, ``exifq beat``: one part of the service each, for deployment.

Each makes sure storage is ready (bucket and lifecycle rule, or the
directory), then replaces itself with gunicorn or Celery, so signals from
the process manager (docker, systemd, ``exifq dev``) reach the server itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.settings import Settings

# Gunicorn's access log without query strings (they may carry ?key= or a URL), every value
# escaped by the logger class (control characters as \xNN: no forged lines).
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
ACCESS_LOGGER = "api.accesslog.AccessLogger"


def add_arguments(commands: argparse._SubParsersAction) -> None:
    from exifq.cli.texts import add_command

    api = add_command(
        commands,
        "api",
        summary="run the HTTP API (gunicorn), for deployment",
        description=(
            "Run the HTTP API under gunicorn (gthread workers). It needs Redis (REDIS_URL) "
            "and the storage (STORAGE, S3_* or LOCAL_STORAGE_DIR); workers do the jobs it "
            "queues. Storage is made ready first (the bucket and its lifecycle rule, or the "
            "directory). For one machine, exifq dev runs everything.",
        ),
        example_lines=(
            "exifq api --bind 0.0.0.0:8000 --workers 2 --threads 8",
            "REDIS_URL=redis://redis:6379/0 STORAGE=s3 exifq api",
        ),
    )
    api.add_argument(
        "--bind",
        default="0.0.0.0:8000",
        metavar="HOST:PORT",
        help="address and port to listen on (default 0.0.0.0:8000: every interface)",
    )
    api.add_argument("--workers", type=int, default=2, help="gunicorn processes (default 2)")
    api.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")

    worker = add_command(
        commands,
        "worker",
        summary="run a worker (Celery) that does the jobs, for deployment",
        description=(
            "Run a Celery worker: it takes jobs from the queue in Redis (REDIS_URL), reads "
            "and writes the storage, and runs the operations. Start as many as the load "
            "needs, on any machine that reaches Redis and the storage; exactly one exifq "
            "beat (or one worker with --beat) runs the sweeper.",
        ),
        example_lines=("exifq worker --concurrency 4", "exifq worker --beat --loglevel WARNING"),
    )
    worker.add_argument(
        "--concurrency", type=int, default=None, help="processes (default WORKER_CONCURRENCY)"
    )
    worker.add_argument(
        "--beat", action="store_true", help="also run the beat scheduler (the sweeper)"
    )
    worker.add_argument(
        "--loglevel", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )

    beat = add_command(
        commands,
        "beat",
        summary="run the scheduler that sweeps expired files, for deployment",
        description=(
            "Run Celery beat: every SWEEP_INTERVAL_SECONDS it queues the sweeper, which "
            "deletes stored files older than RESULT_TTL_SECONDS (for storage without "
            "lifecycle rules). Run exactly one.",
        ),
        example_lines=("exifq beat", "exifq beat --loglevel WARNING"),
    )
    beat.add_argument(
        "--loglevel", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )


def _schedule_file() -> str:
    return str(Path(tempfile.gettempdir()) / f"exifq-beat-schedule-{os.getuid()}")


def api_argv(bind: str, workers: int, threads: int) -> list[str]:
    """The gunicorn command line ``exifq api`` runs."""
    return [
        *(sys.executable, "-m", "gunicorn"),
        *("--bind", bind, "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread", "--timeout", "60", "--graceful-timeout", "10"),
        *("--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT),
        *("--logger-class", ACCESS_LOGGER),
        "--no-control-socket",
        "api:create_app()",
    ]


def worker_argv(concurrency: int | None, beat: bool, loglevel: str) -> list[str]:
    """The Celery command line ``exifq worker`` runs (settings come from ``worker.app``)."""
    from common.tasks import QUEUE

    argv = [
        *(sys.executable, "-m", "celery", "-A", "worker.app", "worker"),
        *("--loglevel", loglevel, "--queues", QUEUE),
        *("--hostname", f"exifq-{os.getpid()}@%h", "--without-gossip", "--without-mingle"),
    ]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if beat:
        argv += ["--beat", "--schedule", _schedule_file()]
    return argv


def beat_argv(loglevel: str) -> list[str]:
    return [
        *(sys.executable, "-m", "celery", "-A", "worker.app", "beat"),
        *("--loglevel", loglevel, "--schedule", _schedule_file()),
    ]


def prepare_storage(settings: Settings, patience: float = 60.0) -> None:
    """Create the bucket / directory, waiting up to ``patience`` s for the store to come up."""
    from common.errors import TransientError
    from common.storage import get_storage

    storage = get_storage(settings)
    deadline = time.monotonic() + patience
    while True:
        try:
            storage.ensure_ready()
            return
        except TransientError as exc:
            if time.monotonic() > deadline:
                raise
            print(f"exifq: waiting for storage: {exc}", file=sys.stderr, flush=True)
            time.sleep(2)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "api":
        argv = api_argv(args.bind, args.workers, args.threads)
    elif args.command == "worker":
        argv = worker_argv(args.concurrency, args.beat, args.loglevel)
    else:
        argv = beat_argv(args.loglevel)
    if args.command != "beat":
        prepare_storage(settings)
    sys.stdout.flush()
    os.execv(argv[0], argv)
    return 0  # not reached
