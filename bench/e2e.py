"""End-to-end throughput and latency of the service beside the same operation in-process.

    python -m bench.e2e [--jobs 1000] [--clients 16]

Starts a private Redis, moto's S3 server (a subprocess, on loopback), one
worker (the compose file's command: one process, concurrency 2) and the API
(the compose file's gunicorn command), then submits ``--jobs`` extract jobs
for small corpus images over HTTP from ``--clients`` threads, each with
``?wait=30`` so the answer arrives when the job is completed: that round trip
is the submit-to-completed latency. Beside it, in the same run, the same
operation on the same files in-process: a plain loop (the reference the
target compares with) and a 2-process pool (what the worker's two processes
could do with no pipeline at all). Prints jobs/s, p50/p99 latency, the ratio,
CPU time per job of each part (everything shares the same cores) and peak
memory. Timing on a shared 2-core machine is noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests

from tests.conftest import corpus_files
from tests.support.operations import run
from tests.support.stack import (
    REPO,
    RedisServer,
    Stack,
    cpu_seconds,
    free_port,
    peak_rss_mib,
    process_group,
    wait_for,
)

MAX_FILE_BYTES = 40_000
WARMUP_JOBS = 20
OUR_PARTS = ("worker main", "worker pool", "API")  # the rest is storage, Redis and the clients


def small_images() -> list[tuple[str, bytes]]:
    """Corpus files under 40 kB that the extract core reads without error."""
    chosen = []
    for file in corpus_files():
        if file.manifest["bytes"] > MAX_FILE_BYTES:
            continue
        try:
            run("extract", file.data, file.path.name)
        except Exception:
            continue
        chosen.append((file.path.name, file.data))
    return chosen


def extract(item: tuple[str, bytes]) -> None:
    name, data = item
    run("extract", data, name)


def in_process(items: list[tuple[str, bytes]], processes: int) -> float:
    """Jobs/s of the bare operation: a loop (1) or a process pool."""
    started = time.perf_counter()
    if processes == 1:
        for item in items:
            extract(item)
    else:
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(extract, items, chunksize=8))
    return len(items) / (time.perf_counter() - started)


class S3Subprocess:
    """moto's S3 under gunicorn in its own process: it does not share the benchmark's
    GIL, and it keeps connections alive as MinIO and AWS do (moto_server closes each)."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
        argv += ["--threads", "16", "--keep-alive", "30", "tests.support.stack:moto_app()"]
        self.process = subprocess.Popen(
            argv,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: _answers(self.url), 30, "moto server")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def submit_and_wait(session: requests.Session, api_url: str, item: tuple[str, bytes]) -> float:
    """One job, submit to completed, in seconds."""
    name, data = item
    started = time.perf_counter()
    answer = session.post(
        f"{api_url}/api/v1/extract", files={"file": (name, data)}, params={"wait": 30}, timeout=60
    )
    body = answer.json()
    if answer.status_code != 200 or body.get("status") != "completed":
        raise RuntimeError(f"job did not complete within 30 s: {answer.status_code} {body}")
    return time.perf_counter() - started


def through_service(api_url: str, items: list, clients: int) -> tuple[float, list[float]]:
    sessions = [requests.Session() for _ in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(
            pool.map(
                lambda pair: submit_and_wait(sessions[pair[0] % clients], api_url, pair[1]),
                enumerate(items),
            )
        )
    return len(items) / (time.perf_counter() - started), latencies


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@contextlib.contextmanager
def storage_for(kind: str, workdir: Path):
    """Setting overrides and CPU-accounted processes for S3 (moto under gunicorn) or local."""
    if kind == "local":
        yield {"STORAGE": "local", "LOCAL_STORAGE_DIR": str(workdir / "storage")}, {}
        return
    s3 = S3Subprocess()
    try:
        yield {"S3_ENDPOINT_URL": s3.url}, {"S3 (moto)": process_group(s3.process.pid)}
    finally:
        s3.stop()


def run_service(items: list, clients: int, storage: str) -> dict:
    """Start the stack, warm it up, run the jobs; rate, latencies, CPU and memory by part."""
    with tempfile.TemporaryDirectory(prefix="exifq-bench-") as workdir:
        redis_server = RedisServer(Path(workdir))
        with storage_for(storage, Path(workdir)) as (overrides, storage_parts):
            stack = Stack(redis_server.url, "", Path(workdir), overrides=overrides)
            try:
                result = _measure(stack, redis_server, storage_parts, items, clients)
            finally:
                stack.stop()
                redis_server.stop()
    return result


def _measure(stack: Stack, redis_server, storage_parts: dict, items: list, clients: int) -> dict:
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    pool = [pid for pid in process_group(worker.pid) if pid != worker.pid]
    parts = {
        "worker main": [worker.pid],
        "worker pool": pool,
        "API": process_group(stack.processes[-1].pid),
        **storage_parts,
        "Redis": [redis_server.process.pid] if redis_server.process else [],
        "HTTP clients": [os.getpid()],
    }
    through_service(stack.api_url, items[:WARMUP_JOBS], clients)
    before = {name: cpu_seconds(pids) for name, pids in parts.items()}
    rate, latencies = through_service(stack.api_url, items, clients)
    cpu = {name: cpu_seconds(pids) - before[name] for name, pids in parts.items()}
    memory = {"worker": peak_rss_mib([worker.pid, *pool]), "API": peak_rss_mib(parts["API"])}
    return {"rate": rate, "latencies": latencies, "cpu": cpu, "memory": memory}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    args = parser.parse_args(argv)

    from bench.extract import use_tables

    use_tables()  # the in-process runs extract with the tables built from ExifTool
    files = small_images()
    items = [files[i % len(files)] for i in range(args.jobs)]
    print(f"{args.jobs} extract jobs over {len(files)} corpus images under 40 kB")
    runs = {kind: run_service(items, args.clients, kind) for kind in ("s3", "local")}
    loop_rate = in_process(items, 1)
    pool_rate = in_process(items, 2)
    loop_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for kind, label in (("s3", "S3 (moto)"), ("local", "local directory")):
        run = runs[kind]
        p50, p99 = percentile(run["latencies"], 50), percentile(run["latencies"], 99)
        print(
            f"service, {label:16} {run['rate']:7.1f} jobs/s  = {run['rate'] / loop_rate:4.0%} of "
            f"the loop, {run['rate'] / pool_rate:4.0%} of 2 processes;  "
            f"p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
        )
        spent = ", ".join(f"{k} {v / len(items) * 1e3:.1f}" for k, v in run["cpu"].items())
        print(f"  CPU ms per job: {spent}")
        ours = sum(run["cpu"][part] for part in OUR_PARTS) / len(items) * 1e3
        print(
            f"  our processes (worker main + pool, API): {ours:.1f} ms CPU per job, "
            f"of which the operation itself {1e3 / loop_rate:.1f}"
        )
    print(f"in-process loop          {loop_rate:7.1f} jobs/s")
    print(f"in-process, 2 processes  {pool_rate:7.1f} jobs/s")
    memory = runs["s3"]["memory"]
    print(
        f"peak memory: worker {memory['worker']:.0f} MiB (main + pool), "
        f"API {memory['API']:.0f} MiB (gunicorn), in-process loop {loop_mib:.0f} MiB"
    )
    rate, p99 = runs["s3"]["rate"], percentile(runs["s3"]["latencies"], 99)
    kept = rate / loop_rate
    print(
        f"targets (S3): ≥ 50% of in-process: {kept:.0%} {'met' if kept >= 0.5 else 'NOT met'}; "
        f"p99 < 1 s: {'met' if p99 < 1 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
