"""A synchronous extract through the exiftools.com adapter beside the native ``?wait=`` path.

    python -m bench.compat [--jobs 300] [--rounds 6] [--clients 4] [--storage s3|local]

One stack (a private Redis, moto's S3 under gunicorn or a local directory, the
compose file's worker and API, the adapter on), the same small corpus images,
the same engine options (no pixels; printed values when the engine has them):
``POST /compat/exiftools/api/v1/extract`` (waits through the API process's
completion listener, as the native path does) against
``POST /api/v1/extract?wait=30``. Each of ``--clients``
threads sends an image through one path then the other, the order swapped from
one image to the next, so load drifts alike for both. Prints each path's mean
and median latency per round, and the ratio of the adapter's total time to the
native one's (target ≤ 1.05). Timing on a shared 2-core machine is noisy: read
the median ratio and the load average. (With ``--storage local`` a submission
can meet the directory race of issue 16, a 500 on either path: the run stops.)
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


def run_round(api: str, items: list, clients: int) -> dict[str, list[float]]:
    """Each item through both paths, one after the other from the same client (the order
    swapped from one item to the next), so that load drifts alike for both; each path's
    latencies (s)."""
    sessions = [requests.Session() for _ in range(clients)]

    def pair(indexed: tuple[int, tuple[str, bytes]]) -> dict[str, float]:
        index, (name, data) = indexed
        order = list(PATHS) if index % 2 == 0 else list(reversed(PATHS))
        timings = {}
        for path in order:
            started = time.perf_counter()
            answer = PATHS[path](sessions[index % clients], api, name, data)
            if answer.status_code != 200 or answer.json().get("status") != "completed":
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
            timings[path] = time.perf_counter() - started
        return timings

    with ThreadPoolExecutor(clients) as pool:
        pairs = list(pool.map(pair, enumerate(items)))
    return {path: [timings[path] for timings in pairs] for path in PATHS}


def measure(items: list, rounds: int, clients: int, storage: str) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="exifq-bench-") as workdir:
        redis_server = RedisServer(Path(workdir))
        with storage_for(storage, Path(workdir)) as (overrides, _parts):
            settings = {**overrides, "API_KEYS": KEY, "COMPAT_ADAPTERS": "exiftools"}
            stack = Stack(redis_server.url, "", Path(workdir), overrides=settings)
            try:
                stack.start_worker()
                api = stack.start_api()
                run_round(api, items[:WARMUP], clients)
                return [run_round(api, items, clients) for _ in range(rounds)]
            finally:
                stack.stop()
                redis_server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="images per round (each sent twice)")
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
        native_times, compat_times = result.values()
        ratios.append(sum(compat_times) / sum(native_times))
        print(
            f"round {number}: native mean {statistics.mean(native_times) * 1e3:6.1f} ms "
            f"(p50 {statistics.median(native_times) * 1e3:6.1f})  compat mean "
            f"{statistics.mean(compat_times) * 1e3:6.1f} ms "
            f"(p50 {statistics.median(compat_times) * 1e3:6.1f})  time ratio {ratios[-1]:.3f}"
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
