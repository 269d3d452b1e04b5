"""A synchronous extract through the exiftools.com adapter beside the native ``?wait=`` path.

    python -m bench.compat [--jobs 300] [--rounds 6] [--clients 4] [--storage s3|local]

One stack (a private Redis, moto's S3 under gunicorn or a local directory, the
compose file's worker and API, the adapter on), the same small corpus images,
the same engine options (no pixels; printed values when the engine has them):
``POST /compat/exiftools/api/v1/extract`` (waits on the job's completion
channel) against ``POST /api/v1/extract?wait=30``. Rounds alternate which path
goes first; each round sends ``--jobs`` requests per path from ``--clients``
threads. Prints each path's jobs/s and median latency per round, and the ratio
of the adapter's time per job to the native one's (target ≤ 1.05). Timing on a
shared 2-core machine is noisy: read the median ratio and the load average.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.e2e import small_images, storage_for
from tests.support.compat import engine_has
from tests.support.stack import RedisServer, Stack

KEY = "bench-key"
WARMUP = 20


def _native(session: requests.Session, api: str, name: str, data: bytes) -> requests.Response:
    params = {"wait": 30, "pixels": "false"}
    if engine_has("extract", "values"):
        params["values"] = "printed"
    return session.post(
        f"{api}/api/v1/extract",
        params=params,
        headers={"X-API-Key": KEY},
        files={"file": (name, data)},
        timeout=60,
    )


def _compat(session: requests.Session, api: str, name: str, data: bytes) -> requests.Response:
    return session.post(
        f"{api}/compat/exiftools/api/v1/extract",
        headers={"X-API-Key": KEY},
        files={"file": (name, data)},
        timeout=60,
    )


PATHS = {"native ?wait=": _native, "/compat/exiftools": _compat}


def run_path(path: str, api: str, items: list, clients: int) -> tuple[float, float]:
    """Jobs/s and median latency (s) of ``items`` sent through ``path``."""
    send = PATHS[path]
    sessions = [requests.Session() for _ in range(clients)]

    def one(pair: tuple[int, tuple[str, bytes]]) -> float:
        index, (name, data) = pair
        started = time.perf_counter()
        answer = send(sessions[index % clients], api, name, data)
        if answer.status_code != 200 or answer.json().get("status") != "completed":
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(one, enumerate(items)))
    return len(items) / (time.perf_counter() - started), statistics.median(latencies)


def measure(items: list, rounds: int, clients: int, storage: str) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="exifq-bench-") as workdir:
        redis_server = RedisServer(Path(workdir))
        with storage_for(storage, Path(workdir)) as (overrides, _parts):
            settings = {**overrides, "API_KEYS": KEY, "COMPAT_ADAPTERS": "exiftools"}
            stack = Stack(redis_server.url, "", Path(workdir), overrides=settings)
            try:
                stack.start_worker()
                api = stack.start_api()
                for path in PATHS:
                    run_path(path, api, items[:WARMUP], clients)
                results = []
                for number in range(rounds):
                    order = list(PATHS) if number % 2 == 0 else list(reversed(PATHS))
                    results.append({p: run_path(p, api, items, clients) for p in order})
                return results
            finally:
                stack.stop()
                redis_server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="requests per path and round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--storage", choices=("s3", "local"), default="s3")
    args = parser.parse_args(argv)

    files = small_images()
    items = [files[i % len(files)] for i in range(args.jobs)]
    values = "printed" if engine_has("extract", "values") else "raw (engine without printed)"
    print(
        f"{args.jobs} synchronous extracts per path and round over {len(files)} corpus images "
        f"under 40 kB; {args.clients} clients; storage {args.storage}; values {values}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    results = measure(items, args.rounds, args.clients, args.storage)
    ratios = []
    for number, result in enumerate(results, 1):
        (native_rate, native_p50), (compat_rate, compat_p50) = result.values()
        ratios.append(native_rate / compat_rate)
        print(
            f"round {number}: native {native_rate:6.1f} jobs/s (p50 {native_p50 * 1e3:5.1f} ms)"
            f"  compat {compat_rate:6.1f} jobs/s (p50 {compat_p50 * 1e3:5.1f} ms)"
            f"  time ratio {ratios[-1]:.3f}"
        )
    ratio = statistics.median(ratios)
    print(
        f"compat / native time per job: median {ratio:.3f} (rounds {min(ratios):.3f}"
        f"-{max(ratios):.3f}); target <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
