"""``exifq dev``: the whole service on one machine, stopped together by Ctrl-C.

What a person sees, and nothing else: one line per part as it comes up —
ExifTool and its tag tables (installed from Debian's packages when missing and
possible, ``exifq.cli.exiftool_part``), Redis (``REDIS_URL`` when set; else a
private ``redis-server`` on a free port when one is on PATH; else an embedded
fakeredis server, much slower, and said so), the storage (S3 when ``STORAGE=s3``, else the directory
``LOCAL_STORAGE_DIR``), the file server of ``--serve-dir``, virus scans
(``CLAMD_URL`` when set; else a private clamd when Debian's clamav-daemon is
installed, ``exifq.cli.clamd``), the worker (with
the beat sweeper) and the API under gunicorn — then, once ``/readyz`` answers
200, the URL, the web page and docs links, the API key when ``API_KEYS`` is
set, and the log file. Everything the parts print goes to that file
(``--log-file``); ``-v`` shows it live as well. Each child runs in its own
process group, so stopping one stops its children too.

``--serve-dir DIR`` serves DIR on a loopback port and adds exactly that
``ip:port`` to the stack's ``URL_TEST_ALLOWLIST``: URL jobs can then fetch
``http://127.0.0.1:PORT/photo.jpg`` while every other private address stays
refused (``docs/dev.md``). Only ``exifq dev`` does this.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from exifq.cli import devparts, exiftool_part, report
from exifq.cli.devparts import ProcessGroup, StartupFailed

if TYPE_CHECKING:
    from common.settings import Settings

READY_TIMEOUT = 120.0
DEFAULT_LOG = "var/log/exifq-dev.log"


def add_arguments(commands: argparse._SubParsersAction) -> None:
    from exifq.cli.texts import add_command

    dev = add_command(
        commands,
        "dev",
        summary="run the whole service on this machine (Redis, storage, a worker, the API)",
        description=(
            "Start everything the service needs on this machine and print its URL once it is "
            "ready: Redis (REDIS_URL, else a private redis-server, else an embedded "
            "fakeredis), the storage (LOCAL_STORAGE_DIR, or S3 when STORAGE=s3), a worker "
            "and the API. One line per part as it comes up; what the parts log goes to a "
            "file (-v shows it here too). Ctrl-C stops all of it.",
            "--serve-dir DIR serves a directory on a loopback port that URL jobs of this "
            "stack (and no other) may fetch, to try URL inputs without the internet.",
        ),
        example_lines=(
            "exifq dev",
            "exifq dev --port 8080 -v",
            "exifq dev --serve-dir photos/    # then: curl -F url=http://127.0.0.1:PORT/a.jpg ...",
        ),
    )
    dev.add_argument("--port", type=int, default=8000, help="the API's port (default 8000)")
    dev.add_argument(
        "--host",
        default="127.0.0.1",
        help="the API's address (default 127.0.0.1: this machine only)",
    )
    dev.add_argument(
        "--serve-dir",
        metavar="DIR",
        type=Path,
        help="serve DIR on a loopback port that this stack's URL jobs may fetch",
    )
    dev.add_argument(
        "--log-file",
        metavar="PATH",
        type=Path,
        default=Path(DEFAULT_LOG),
        help=f"where the parts' output goes (default {DEFAULT_LOG}, emptied at each start)",
    )
    dev.add_argument(
        "-v", "--verbose", action="store_true", help="also show the parts' output here, live"
    )


class Screen:
    """The lines a person reads: one per part, the time since start at the end."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def part(self, name: str, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  {name:<8} {text}  ({elapsed:.1f} s)", flush=True)

    def ready(self, url: str, settings: Settings, log_file: Path) -> None:
        print(f"\nexifq is running at {url}  (Ctrl-C stops it)", flush=True)
        print(f"  web page   {url}/", flush=True)
        print(f"  API docs   {url}/docs/", flush=True)
        keys = sorted(settings.api_keys)
        if keys:
            more = f"  (and {len(keys) - 1} more in API_KEYS)" if len(keys) > 1 else ""
            print(f"  API key    {keys[0]}{more}", flush=True)
        print(f"  logs       {log_file}", flush=True)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def child_environment(**overrides: object) -> dict[str, str]:
    from common.settings import child_environment as environment

    return environment(**overrides)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Also for SIGINT: a shell starting us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    log_file = args.log_file.resolve()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    say = report.stderr
    with log_file.open("wb", buffering=0) as log:
        children = ProcessGroup(log)
        try:
            with devparts.follow_log(log_file, sys.stderr, args.verbose):
                try:
                    return _serve(args, settings, children, Screen(), log_file)
                finally:
                    children.stop()
        except KeyboardInterrupt:
            print("stopped", flush=True)
            return 0
        except StartupFailed as exc:
            where = f" (the log: {log_file})" if children.children else ""
            say(report.error_line("dev", exc.code, f"{exc.message}{where}"))
            return 1


def _serve(
    args: argparse.Namespace,
    settings: Settings,
    children: ProcessGroup,
    screen: Screen,
    log_file: Path,
) -> int:
    devparts.check_port(args.host, args.port)
    if args.serve_dir is not None and not args.serve_dir.is_dir():
        raise StartupFailed("not_a_directory", f"--serve-dir {args.serve_dir}: not a directory")
    with contextlib.ExitStack() as parts:
        env = parts.enter_context(_parts(args, settings, children, screen, log_file))
        url = f"http://{args.host}:{args.port}"
        _start_service(args, settings, children, screen, env, url)
        screen.ready(url, settings, log_file)
        while (name := children.exited()) is None:
            time.sleep(0.5)
        report.stderr(report.error_line("dev", "exited", f"the {name} exited; stopping"))
        return 1


@contextlib.contextmanager
def _parts(
    args: argparse.Namespace,
    settings: Settings,
    children: ProcessGroup,
    screen: Screen,
    log_file: Path,
) -> Iterator[dict[str, str]]:
    """Redis, the storage and the file server, each announced as it comes up; yields the
    environment of the worker and the API."""
    configured = settings.REDIS_URL if "REDIS_URL" in settings.model_fields_set else None
    exiftool_part.ensure_tables(settings, children.log, screen.part)
    with contextlib.ExitStack() as stack:
        redis_url, how = stack.enter_context(devparts.private_redis(configured, children))
        screen.part("redis", how)
        overrides: dict[str, object] = {"REDIS_URL": redis_url, **_storage(settings, screen)}
        if "COMPAT_ADAPTERS" not in settings.model_fields_set:
            overrides["COMPAT_ADAPTERS"] = "all"  # every drop-in adapter (docs/compat.md)
        if args.serve_dir is not None:
            directory = args.serve_dir.resolve()
            text_log = stack.enter_context(log_file.open("a", buffering=1))
            endpoint = stack.enter_context(devparts.file_server(directory, text_log))
            allowed = devparts.allowlist_with(settings.URL_TEST_ALLOWLIST, endpoint)
            overrides["URL_TEST_ALLOWLIST"] = allowed
            screen.part("files", f"http://{endpoint}/ serves {directory} (URL jobs may fetch it)")
        overrides.update(_scanner(settings, stack, screen))
        yield child_environment(**overrides)


def _scanner(settings: Settings, stack: contextlib.ExitStack, screen: Screen) -> dict[str, str]:
    """``CLAMD_URL`` for the stack: the configured one, else a private clamd when installed."""
    from exifq.cli import clamd

    if settings.CLAMD_URL or clamd.installed() is None:
        screen.part("clamd", settings.CLAMD_URL or "virus scans off (no clamd, no CLAMD_URL)")
        return {}
    private = stack.enter_context(clamd.running())
    screen.part("clamd", f"a private clamd at {private.url}")
    return {"CLAMD_URL": private.url}


def _storage(settings: Settings, screen: Screen) -> dict[str, str]:
    """Make the storage ready (the bucket, or the directory) and say which it is."""
    from exifq.cli.serve import prepare_storage

    if settings.STORAGE == "s3":
        prepare_storage(settings)
        where = settings.S3_ENDPOINT_URL or "AWS"
        screen.part("storage", f"S3 bucket {settings.S3_BUCKET} at {where}")
        return {}
    directory = settings.LOCAL_STORAGE_DIR.resolve()
    overrides = {"STORAGE": "local", "LOCAL_STORAGE_DIR": str(directory)}
    prepare_storage(settings.model_copy(update={"LOCAL_STORAGE_DIR": directory}))
    screen.part("storage", f"local directory {directory}")
    return overrides


def _start_service(
    args: argparse.Namespace,
    settings: Settings,
    children: ProcessGroup,
    screen: Screen,
    env: dict[str, str],
    url: str,
) -> None:
    """Start the worker and the API, announce each as it answers, and return once
    ``/readyz`` says the whole service is ready."""
    import redis as redis_py

    from common import heartbeat

    me = [sys.executable, "-m", "exifq"]
    redis = redis_py.Redis.from_url(env["REDIS_URL"])
    prefix = settings.REDIS_KEY_PREFIX
    before = heartbeat.live_workers(redis, prefix, time.time())
    children.start("worker", [*me, "worker", "--beat"], env)
    bind = f"{args.host}:{args.port}"
    children.start("API", [*me, "api", "--bind", bind, "--workers", "1"], env)
    waiting = {
        "worker": lambda: heartbeat.live_workers(redis, prefix, time.time()) > before,
        "api": lambda: _answers(f"{url}/healthz"),
    }
    texts = {"worker": "a worker, with the beat sweeper", "api": f"gunicorn on {bind}"}
    deadline = time.monotonic() + READY_TIMEOUT
    while waiting:
        for name, check in list(waiting.items()):
            if check():
                screen.part(name, texts[name])
                del waiting[name]
        if waiting:
            if (exited := children.exited()) is not None:
                raise StartupFailed("exited", f"the {exited} exited while starting")
            if time.monotonic() > deadline:
                raise StartupFailed("not_ready", f"{', '.join(waiting)} not up after a while")
            time.sleep(0.1)
    devparts.wait_until(lambda: _answers(f"{url}/readyz"), READY_TIMEOUT, children, "/readyz")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False
