"""How long ``exifq dev`` takes to print its URL, part by part, beside the bare parts.

    python -m bench.dev [--runs 3]

Starts ``exifq dev`` (a private redis-server, a local storage directory) on a
free port ``--runs`` times and reads the seconds it prints after each part
and the moment the URL appears, then stops it with SIGINT. Beside it, in the
same run, the reference: the same worker and API commands started bare
(``exifq worker``, ``exifq api`` on a private Redis), timed to their first
heartbeat and ``/healthz`` — what ``exifq dev`` costs on top is its checks and
``/readyz``. Prints each run and the medians, and the load average (the
machine is shared: compare the two columns, not absolutes).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.settings import child_environment
from tests.support.stack import REPO, RedisServer, Stack, free_port

PART = re.compile(r"^  (\w+) +.*  \((\d+\.\d) s\)$")


def dev_once(workdir: Path) -> dict[str, float]:
    """One ``exifq dev`` start: seconds to each part and to the URL line."""
    env = child_environment(STORAGE="local", LOCAL_STORAGE_DIR=workdir / "store")
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    dev = subprocess.Popen(
        [sys.executable, "-m", "exifq", "dev", "--port", str(free_port())],
        cwd=workdir,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    times: dict[str, float] = {}
    try:
        for line in dev.stdout:
            if match := PART.match(line):
                times[match.group(1)] = float(match.group(2))
            if line.startswith("exifq is running at"):
                times["url"] = time.monotonic() - started
                break
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(60)
    return times


def bare_once(workdir: Path) -> dict[str, float]:
    """The worker and the API started bare on a private Redis: seconds to a heartbeat and to
    ``/healthz``, from the moment both were started."""
    redis_server = RedisServer(workdir)
    stack = Stack(redis_server.url, "", workdir, overrides={"STORAGE": "local"})
    stack.overrides["LOCAL_STORAGE_DIR"] = str(workdir / "store")
    try:
        started = time.monotonic()
        stack.start_worker()
        worker = time.monotonic() - started
        stack.start_api()
        return {"worker": worker, "api": time.monotonic() - started}
    finally:
        stack.stop()
        redis_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(f"load average before: {os.getloadavg()}")
    dev, bare = [], []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix="exifq-bench-dev-") as folder:
            dev.append(dev_once(Path(folder)))
            print(f"exifq dev run {i + 1}: {dev[-1]}")
        with tempfile.TemporaryDirectory(prefix="exifq-bench-bare-") as folder:
            bare.append(bare_once(Path(folder)))
            print(f"bare parts run {i + 1} (worker, then API): {bare[-1]}")
    median = {key: round(statistics.median(run[key] for run in dev), 1) for key in dev[0]}
    print(f"exifq dev, median s: {median}")
    print(
        f"bare worker then API, median s: "
        f"{statistics.median(run['api'] for run in bare):.1f} "
        f"(worker alone {statistics.median(run['worker'] for run in bare):.1f})"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
