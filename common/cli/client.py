"""``exifq extract|strip|hash FILE...`` against a server (``EXIFQ_URL``, ``EXIFQ_API_KEY``).

Submits every file (a few at a time), follows each job with ``?wait=`` long
polls while a progress bar (on stderr) counts finished files, then prints
what the API answered: one JSON object, or JSON Lines for several files in
the order given. ``strip`` also downloads each cleaned file to where
``strip --local`` would write it. A failed file makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from common.cli.local import cleaned_path
from common.settings import Settings

OPS = {"extract": "extract", "strip": "remove", "hash": "hash"}
PARALLEL_UPLOADS = 4
POLL_WAIT = 20  # seconds each status request may block on the server
TIMEOUT = (5, POLL_WAIT + 30)  # connect, read


class Client:
    """One server, one API key; a ``requests`` session per thread."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def submit(self, op: str, path: Path, options: dict) -> dict:
        with path.open("rb") as file:
            answer = self.session.post(
                f"{self.base_url}/api/v1/{op}",
                files={"file": (path.name, file)},
                data=options,
                timeout=TIMEOUT,
            )
        return _json(answer)

    def follow(self, body: dict) -> dict:
        """Poll the job until it is finished; its final body."""
        while body.get("status") in ("queued", "processing"):
            answer = self.session.get(
                f"{self.base_url}{body['statusUrl']}", params={"wait": POLL_WAIT}, timeout=TIMEOUT
            )
            body = _json(answer)
        return body

    def download(self, url_path: str, target: Path) -> None:
        with self.session.get(f"{self.base_url}{url_path}", stream=True, timeout=TIMEOUT) as answer:
            if answer.status_code != 200:
                raise requests.HTTPError(_json(answer).get("error", answer.reason))
            with target.open("wb") as out:
                for chunk in answer.iter_content(256 * 1024):
                    out.write(chunk)


def _json(answer: requests.Response) -> dict:
    try:
        body = answer.json()
    except ValueError:
        body = {"success": False, "error": f"HTTP {answer.status_code}: not JSON"}
    if not answer.ok and "status" not in body:
        body = {"success": False, "status": "failed", "httpStatus": answer.status_code, **body}
    return body


def _options(args: argparse.Namespace) -> dict:
    if args.command == "extract":
        return {"pixels": str(args.pixels).lower()}
    if args.command == "hash":
        return {"types": ",".join(args.types)} if args.types else {}
    options = {"keep": ",".join(args.keep)} if args.keep is not None else {}
    if args.drop:
        options["drop"] = ",".join(args.drop)
    return options


def _run_one(client: Client, args: argparse.Namespace, path: Path) -> dict:
    op, several = OPS[args.command], len(args.files) > 1
    try:
        body = client.follow(client.submit(op, path, _options(args)))
        if args.command == "strip" and body.get("downloadUrl"):
            target = cleaned_path(path, args.output, several)
            client.download(body["downloadUrl"], target)
            body["output"] = str(target)
    except OSError as exc:  # requests' errors are OSErrors too
        body = {"success": False, "error": {"code": "io_error", "message": str(exc)}}
    return {"fileName": path.name, **body}


def run(args: argparse.Namespace, settings: Settings) -> int:
    client = Client(settings.EXIFQ_URL, settings.EXIFQ_API_KEY)
    paths = [Path(file) for file in args.files]
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        bar = progress.add_task(f"{args.command} via {client.base_url}", total=len(paths))

        def one(path: Path) -> dict:
            body = _run_one(client, args, path)
            progress.advance(bar)
            return body

        with ThreadPoolExecutor(max_workers=min(PARALLEL_UPLOADS, len(paths))) as pool:
            bodies = list(pool.map(one, paths))
    several = len(paths) > 1
    for body in bodies:
        print(json.dumps(body, ensure_ascii=False, indent=None if several else 2), flush=True)
    return 0 if all(body.get("success") for body in bodies) else 1
