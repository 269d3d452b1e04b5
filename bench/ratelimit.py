"""What rate limits and managed keys cost the API, and what a limit does under load.

    python -m bench.ratelimit [--requests 1500] [--clients 8]

Starts a private Redis, moto's S3 and the API (the compose file's gunicorn
command; no worker: URL jobs are only queued), then, in one run, submits
``--requests`` URL extract jobs from ``--clients`` threads three ways, in
alternating rounds: no limit and no key (the baseline), a limit never
reached with a managed key (what limiting and the key lookup add), and a
limit of 100 per minute (how much gets through, and how fast a 429 comes
back). Prints requests/s, p50/p99 latency, Redis commands per request (from
INFO commandstats) and the ratios. Timing on a shared machine is noisy:
compare the ratios, and the Redis commands, which do not depend on load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.support.stack import REPO, RedisServer, S3Server, Stack, delete_prefix

JOB = {"url": "https://example.com/photo.jpg"}


def redis_calls(stack: Stack) -> int:
    stats = stack.redis().info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if not k.startswith("cmdstat_info"))


def hammer(url: str, count: int, clients: int, headers: dict) -> tuple[float, list, dict]:
    """Send ``count`` submissions; seconds taken, latencies, answers by status."""
    session_for = {}

    def one(_: int) -> tuple[float, int]:
        session = session_for.setdefault(threading.get_ident(), requests.Session())
        started = time.perf_counter()
        status = session.post(f"{url}/api/v1/extract", json=JOB, headers=headers).status_code
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return elapsed, [latency for latency, _ in results], statuses


def create_key(stack: Stack, limit: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "exifq", "keys", "create", "--rate-limit", limit, "--json"],
        env=stack.env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(made.stdout)["key"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        redis_server, s3 = RedisServer(Path(tmp)), S3Server().start()
        open_stack = Stack(redis_server.url, s3.url, Path(tmp))
        keyed_stack = Stack(redis_server.url, s3.url, Path(tmp), overrides={"RATE_LIMIT": "5/day"})
        try:
            plain_api = open_stack.start_api()
            keyed_api = keyed_stack.start_api()
            fast, slow = (
                create_key(keyed_stack, "10000000/minute"),
                create_key(keyed_stack, "100/minute"),
            )
            ways = {
                "no limit, no key": (plain_api, {}, open_stack),
                "limit not reached, managed key": (keyed_api, {"X-API-Key": fast}, keyed_stack),
            }
            totals = {name: ([], 0.0, 0, 0) for name in ways}
            for _ in range(args.rounds):
                for name, (url, headers, stack) in ways.items():
                    before = redis_calls(stack)
                    elapsed, latencies, _ = hammer(url, args.requests, args.clients, headers)
                    lat, seconds, count, calls = totals[name]
                    totals[name] = (
                        lat + latencies,
                        seconds + elapsed,
                        count + len(latencies),
                        calls + redis_calls(stack) - before,
                    )
            rates = {}
            for name, (lat, seconds, count, calls) in totals.items():
                lat.sort()
                rates[name] = count / seconds
                p50, p99 = statistics.median(lat) * 1000, lat[int(len(lat) * 0.99)] * 1000
                print(
                    f"{name:32s} {rates[name]:7.1f} req/s  p50 {p50:5.1f} ms  p99 {p99:6.1f} ms"
                    f"  Redis commands/request {calls / count:4.1f}"
                )
            base, limited = rates["no limit, no key"], rates["limit not reached, managed key"]
            print(f"limited / unlimited throughput: {limited / base:.2f}")
            elapsed, lat, statuses = hammer(
                keyed_api, args.requests, args.clients, {"X-API-Key": slow}
            )
            lat.sort()
            print(
                f"100/minute key, {args.requests} requests in {elapsed:.1f} s: {statuses}; "
                f"p50 {statistics.median(lat) * 1000:.1f} ms"
            )
        finally:
            for stack in (open_stack, keyed_stack):
                stack.stop()
                delete_prefix(stack.redis_url, stack.prefix)
            s3.stop()
            redis_server.stop()


if __name__ == "__main__":
    main()
