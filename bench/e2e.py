"""Per-job CPU of the service beside Celery's own floor (a no-op task's round trip), one run.

    python -m bench.e2e [--jobs 500] [--rounds 5] [--clients 8] [--write-docs]

Both sides run on one private ``redis-server``, one after the other, and each
side's CPU is read before and after its jobs: ``/proc/PID/stat`` (user +
system) of every process of the side, and Redis's own ``INFO cpu``.

- **exifq**: the compose file's API (gunicorn) and worker (one process,
  concurrency 2) with local storage. ``--jobs`` extract jobs with
  ``pixels=false`` over small corpus images, each POSTed with ``?wait=30``
  from ``--clients`` threads (the answer is the finished result), first as a
  raw body (``Content-Type: application/octet-stream``), then as multipart. Counted: the API's
  processes, the worker's main and pool processes, Redis (storage on tmpfs by
  default, ``--storage-dir``). Not counted: the
  HTTP clients (this process). "Minus the operation" subtracts the CPU the
  extract itself takes on the same files with the same options, measured
  in-process in this run (warm, a plain loop, once a round: the median).
- **Celery's floor**: a Celery app whose task does nothing, with exifq's
  delivery settings (JSON, ``acks_late``, prefetch 1) and worker flags
  (concurrency 2, no gossip, no mingle), on the same Redis as broker and
  result backend. A client process sends ``--jobs`` tasks from ``--clients``
  threads and waits for each result (``AsyncResult.get``: the result
  backend's pub/sub, Celery's own ``?wait=``). Counted: that client process,
  the worker's processes, Redis. Twice: bare, and with exifq's Celery time limits
  (soft and hard) and memory cap per child, which cost Celery's pool work per
  task whatever the task does; the target compares with the latter, like for like.

The sides alternate (``--rounds`` times: floor, raw body, multipart; then the
floor again), since the shared machine's load moves; the target compares medians.

Target (issue 17): exifq's CPU per job minus the operation ≤ the no-op round trip + 2 ms.
The operation is subtracted as the workers count it while it runs (their CPU during the
operation, ``exifq_job_cpu_seconds_total``); the in-process figure is printed beside it. Each
exifq run is compared with the floor runs just before and after it (the machine's load drifts
between runs), and the target is judged on the median of those paired differences; the
difference of the sides' medians is printed beside it.
Also prints jobs/s and p50/p99 latency (submit to finished) for each side.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import redis
import requests

from bench.common import Report, parser, start
from common import jobmetrics
from tests.conftest import corpus_files
from tests.support.operations import run
from tests.support.stack import (
    REPO,
    RedisServer,
    Stack,
    cpu_seconds,
    free_port,
    process_group,
    wait_for,
)

MAX_FILE_BYTES = 40_000
WARMUP_JOBS = 40
NOOP_TASK = "bench.noop"
NOOP_QUEUE = "noop"
NOOP_DB = 1  # the floor's broker and results, beside exifq's keys (DB 0) on the same server
TARGET_MS = 2.0
NOOP, RAW, MULTIPART = "Celery no-op", "exifq, raw body", "exifq, multipart"
NOOP_LIMITS = "Celery no-op, exifq's limits"  # plus exifq's time limits and memory cap


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


def operation_cpu(items: list[tuple[str, bytes]]) -> float:
    """CPU seconds per job of the extract itself (pixels off), in-process, warm."""
    for name, data in items[:WARMUP_JOBS]:
        run("extract", data, name, pixels=False)
    started = time.process_time()
    for name, data in items:
        run("extract", data, name, pixels=False)
    return (time.process_time() - started) / len(items)


class S3Subprocess:
    """moto's S3 under gunicorn in its own process (``bench/compat`` and ``bench/batch`` use it):
    it does not share the benchmark's GIL, and keeps connections alive as MinIO and AWS do."""

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


def operation_cpu_in_workers(url: str, prefix: str) -> float:
    """CPU seconds the workers' extract operations took so far, as they count it themselves
    (``exifq_job_cpu_seconds_total``: the pool process's CPU while the operation ran)."""
    field = jobmetrics.SEP.join(("cpu_seconds", "extract"))
    value = redis.Redis.from_url(url).hget(jobmetrics.key(prefix), field)
    return float(value or 0.0)


def redis_cpu(url: str) -> float:
    """The Redis server's CPU seconds so far (``INFO cpu``: user + system)."""
    info = redis.Redis.from_url(url).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- exifq --------------------------------------------------------------------------------


def submit(session: requests.Session, api_url: str, item: tuple[str, bytes], raw: bool) -> float:
    """One job, submit to completed (``?wait=30``), in seconds."""
    name, data = item
    params = {"wait": 30, "pixels": "false"}
    started = time.perf_counter()
    if raw:
        headers = {"Content-Type": "application/octet-stream"}  # the API sniffs the type
        answer = session.post(
            f"{api_url}/api/v1/extract",
            data=data,
            headers=headers,
            params={**params, "name": name},
            timeout=60,
        )
    else:
        answer = session.post(
            f"{api_url}/api/v1/extract", files={"file": (name, data)}, params=params, timeout=60
        )
    if answer.status_code != 200 or answer.json().get("status") != "completed":
        raise RuntimeError(f"job did not complete within 30 s: {answer.status_code}")
    return time.perf_counter() - started


def drive(items: list, clients: int, one) -> tuple[float, list[float]]:
    """Run ``one(client_index, item)`` for every item from ``clients`` threads; (rate,
    latencies)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(lambda pair: one(pair[0] % clients, pair[1]), enumerate(items)))
    return len(items) / (time.perf_counter() - started), latencies


def measured(parts: dict[str, list[int]], redis_url: str, work) -> tuple[dict, object]:
    """CPU seconds each part (and Redis) spent while ``work()`` ran, and what it returned."""
    before = {name: cpu_seconds(pids) for name, pids in parts.items()}
    before["Redis"] = redis_cpu(redis_url)
    value = work()
    cpu = {name: cpu_seconds(pids) - before[name] for name, pids in parts.items()}
    cpu["Redis"] = redis_cpu(redis_url) - before["Redis"]
    return cpu, value


def alternated(
    redis_server: RedisServer, workdir: Path, storage: Path, items: list, args, floor
) -> dict[str, list[dict]]:
    """``args.rounds`` rounds of: Celery's floors (``floor(limits)``, without and with exifq's
    limits), exifq with raw bodies, exifq with multipart, the operation alone in-process
    (CPU seconds per job, under ``"operation"``); then the floors once more. One exifq stack
    (API, worker, local storage) serves every round. Each side's runs in order."""
    overrides = {"STORAGE": "local", "LOCAL_STORAGE_DIR": str(storage)}
    stack = Stack(redis_server.url, "", workdir, overrides=overrides)
    runs: dict[str, list] = {NOOP: [], NOOP_LIMITS: [], RAW: [], MULTIPART: [], "operation": []}
    try:
        worker = stack.start_worker()
        stack.api_url = stack.start_api()
        parts = {
            "API": process_group(stack.processes[-1].pid),
            "worker": process_group(worker.pid),
        }
        sessions = [requests.Session() for _ in range(args.clients)]
        for _ in range(args.rounds):
            runs[NOOP].append(floor(False))
            runs[NOOP_LIMITS].append(floor(True))
            for label, raw in ((RAW, True), (MULTIPART, False)):
                if label not in args.bodies:
                    continue

                def one(i, item, raw=raw):
                    return submit(sessions[i], stack.api_url, item, raw)

                drive(items[:WARMUP_JOBS], args.clients, one)
                before = operation_cpu_in_workers(redis_server.url, stack.prefix)
                cpu, (rate, latencies) = measured(
                    parts, redis_server.url, lambda one=one: drive(items, args.clients, one)
                )
                in_workers = operation_cpu_in_workers(redis_server.url, stack.prefix) - before
                runs[label].append(
                    {"cpu": cpu, "rate": rate, "latencies": latencies, "operation": in_workers}
                )
            runs["operation"].append(operation_cpu(items))
        runs[NOOP].append(floor(False))
        runs[NOOP_LIMITS].append(floor(True))
        return runs
    finally:
        stack.stop()


# -- Celery's floor -----------------------------------------------------------------------


@cache
def _noop_app():
    from celery import Celery

    url = os.environ["BENCH_NOOP_REDIS"]
    app = Celery("bench-noop", broker=url, backend=url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=NOOP_QUEUE,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
    )
    if os.environ.get("BENCH_NOOP_LIMITS") == "1":  # what exifq's worker runs with, too
        from common.settings import Settings

        fields = Settings.model_fields
        app.conf.update(
            task_soft_time_limit=fields["TASK_SOFT_TIME_LIMIT"].default,
            task_time_limit=fields["TASK_TIME_LIMIT"].default,
            worker_max_memory_per_child=fields["WORKER_MAX_MEMORY_PER_CHILD"].default,
        )
    app.task(name=NOOP_TASK)(noop)
    return app


def noop() -> None:
    """The floor's task: nothing."""


def __getattr__(name: str):
    """``bench.e2e.noop_app``: the floor's Celery app (``celery -A bench.e2e:noop_app``)."""
    if name == "noop_app":
        return _noop_app()
    raise AttributeError(name)


def noop_client(jobs: int, clients: int) -> None:
    """The floor's client (``--leg noop``): warm up, then time ``jobs`` round trips; prints its
    CPU seconds, the rate and the latencies as JSON."""
    app = _noop_app()

    def one(_i, _item):
        started = time.perf_counter()
        app.send_task(NOOP_TASK, queue=NOOP_QUEUE).get(timeout=30)
        return time.perf_counter() - started

    drive([None] * WARMUP_JOBS, clients, one)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before = usage.ru_utime + usage.ru_stime
    rate, latencies = drive([None] * jobs, clients, one)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before
    print(json.dumps({"cpu": cpu, "rate": rate, "latencies": latencies}))


def noop_run(
    redis_server: RedisServer, workdir: Path, jobs: int, clients: int, limits: bool = False
) -> dict:
    """The floor once: its worker, then the client process; CPU by part. With ``limits``, the
    worker has exifq's time limits and memory cap (Celery's cost of those, not ours)."""
    url = redis_server.url.rsplit("/", 1)[0] + f"/{NOOP_DB}"
    env = {**os.environ, "BENCH_NOOP_REDIS": url, "PYTHONPATH": str(REPO)}
    env["BENCH_NOOP_LIMITS"] = "1" if limits else "0"
    argv = [sys.executable, "-m", "celery", "-A", "bench.e2e:noop_app", "worker"]
    argv += ["--queues", NOOP_QUEUE, "--concurrency", "2", "--loglevel", "WARNING"]
    argv += ["--without-gossip", "--without-mingle", "--hostname", f"noop-{os.getpid()}@%h"]
    log = (workdir / "noop-worker.log").open("ab")
    worker = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for(lambda: len(process_group(worker.pid)) >= 3, 60, "no-op worker")
        time.sleep(1.0)
        parts = {"worker": process_group(worker.pid)}
        client = [sys.executable, "-m", "bench.e2e", "--leg", "noop"]
        client += ["--jobs", str(jobs), "--clients", str(clients)]

        def work():
            done = subprocess.run(
                client, cwd=REPO, env=env, capture_output=True, text=True, check=True
            )
            return json.loads(done.stdout.strip().splitlines()[-1])

        cpu, answer = measured(parts, redis_server.url, work)
        cpu = {"client": answer["cpu"], **cpu}
        return {"cpu": cpu, "rate": answer["rate"], "latencies": answer["latencies"]}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


# -- the report ---------------------------------------------------------------------------


def per_job_ms(cpu: dict, jobs: int) -> dict:
    return {name: seconds / jobs * 1e3 for name, seconds in cpu.items()}


def total_ms(run_: dict, jobs: int) -> float:
    return sum(per_job_ms(run_["cpu"], jobs).values())


def beyond_ms(run_: dict, jobs: int, media_ms: float) -> tuple[float, float]:
    """An exifq run's CPU per job minus the operation: as measured in-process (``media_ms``),
    and as its workers counted it while it ran (``exifq_job_cpu_seconds_total``)."""
    total = total_ms(run_, jobs)
    return total - media_ms, total - run_["operation"] / jobs * 1e3


def report_runs(report: Report, runs: dict[str, list[dict]], jobs: int, media_ms: float) -> None:
    """Every run in order, then each side's median."""
    rows = []
    for label, side in runs.items():
        for number, run_ in enumerate(side, 1):
            floor = label in (NOOP, NOOP_LIMITS)
            rows.append(_row(f"{label} #{number}", run_, jobs, media_ms, floor))
    report.table(
        [
            "side, run",
            "jobs/s",
            "p50 / p99",
            "API or client ms",
            "worker ms",
            "Redis ms",
            "total CPU ms/job",
            "the operation in the worker",
            "minus the operation: in-process, in the worker",
        ],
        rows,
        f"CPU per job across the side's processes, the runs alternating (floors, raw, multipart,"
        f" ..., floors). The operation (extract, pixels off) is subtracted two ways: as measured"
        f" in-process (warm, a plain loop on the same files, once a round, the median:"
        f" {media_ms:.2f} ms per job), and as the workers counted it in that run (their own"
        " CPU while the operation ran, `exifq_job_cpu_seconds_total`: the same code on the"
        " same files, slower there because it shares the cores and caches with the API, Redis"
        " and the pool's other process). The floor's client is a Celery client waiting on"
        " results through the Redis result backend; exifq's HTTP clients are not counted.",
    )


def _row(label: str, run_: dict, jobs: int, media_ms: float, floor: bool) -> list:
    parts = per_job_ms(run_["cpu"], jobs)
    total = sum(parts.values())
    latencies = run_["latencies"]
    if floor:
        operation, beyond = "", f"{total:.2f}"
    else:
        in_process, in_worker = beyond_ms(run_, jobs, media_ms)
        operation = f"{run_['operation'] / jobs * 1e3:.2f}"
        beyond = f"{in_process:.2f}, {in_worker:.2f}"
    return [
        label,
        f"{run_['rate']:.0f}",
        f"{percentile(latencies, 50) * 1e3:.1f} / {percentile(latencies, 99) * 1e3:.1f} ms",
        f"{parts.get('client', parts.get('API', 0.0)):.2f}",
        f"{parts['worker']:.2f}",
        f"{parts['Redis']:.2f}",
        f"{total:.2f}",
        operation,
        beyond,
    ]


def paired_over(runs: dict[str, list[dict]], label: str, jobs: int, media_ms: float) -> float:
    """The median over rounds of exifq's CPU beyond the operation (as the workers counted it)
    minus the mean of the two floor runs with exifq's limits around it (the one before and the
    one after): the load's drift between runs cancels, the way it cannot between medians."""
    floors = [total_ms(r, jobs) for r in runs[NOOP_LIMITS]]
    return statistics.median(
        beyond_ms(run_, jobs, media_ms)[1] - (floors[i] + floors[i + 1]) / 2
        for i, run_ in enumerate(runs[label])
    )


def target_lines(runs: dict[str, list[dict]], bodies: list[str], jobs: int, media_ms: float):
    """The floors' medians and, for each body, exifq beyond the operation against them: the
    verdict on the paired difference (:func:`paired_over`), the medians' difference beside it."""
    floors = {
        label: statistics.median(total_ms(r, jobs) for r in runs[label])
        for label in (NOOP, NOOP_LIMITS)
    }
    lines = [
        f"- {label}: {value:.2f} ms per round trip (median of {len(runs[label])})"
        for label, value in floors.items()
    ]
    for label in bodies:
        in_process = statistics.median(beyond_ms(r, jobs, media_ms)[0] for r in runs[label])
        in_worker = statistics.median(beyond_ms(r, jobs, media_ms)[1] for r in runs[label])
        paired = paired_over(runs, label, jobs, media_ms)
        verdict = "met" if paired <= TARGET_MS else "NOT met"
        lines.append(
            f"- {label}: **+{paired:.2f} ms** over the no-op with exifq's limits, each run"
            f" against the floor runs around it, the operation as the workers counted it"
            f" (median of {len(runs[label])} rounds; target ≤ +{TARGET_MS:g} ms: {verdict})."
            f" Medians against medians: {in_worker:.2f} ms beyond the operation,"
            f" +{in_worker - floors[NOOP_LIMITS]:.2f} ms over the floor with the limits,"
            f" +{in_worker - floors[NOOP]:.2f} ms over the bare floor; with the operation as"
            f" measured in-process: {in_process:.2f} ms, +{in_process - floors[NOOP_LIMITS]:.2f}"
            " ms over the floor with the limits."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    cli = parser(__doc__)
    cli.add_argument("--jobs", type=int, default=500, help="jobs per run")
    cli.add_argument("--clients", type=int, default=8, help="concurrent clients")
    cli.add_argument("--rounds", type=int, default=5, help="alternations of the sides")
    cli.add_argument(
        "--bodies",
        type=lambda text: [{"raw": RAW, "multipart": MULTIPART}[part] for part in text.split(",")],
        default=[RAW, MULTIPART],
        help="raw,multipart (default both)",
    )
    cli.add_argument(
        "--storage-dir",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="where the local storage lives (default: tmpfs, /dev/shm)",
    )
    args = cli.parse_args(argv)
    if args.leg == "noop":
        noop_client(args.jobs, args.clients)
        return 0

    from bench.extract import use_tables

    use_tables()  # the in-process extract runs with the tables built from ExifTool
    command = " ".join(["python -m bench.e2e", *(sys.argv[1:] if argv is None else argv)])
    report = Report("e2e", "Single jobs: exifq's pipeline beside Celery's no-op floor", command)
    start(report)
    files = small_images()
    items = [files[i % len(files)] for i in range(args.jobs)]
    report.note(
        f"{args.jobs} jobs over {len(files)} corpus images under 40 kB, {args.clients} concurrent"
        f" clients, one private redis-server, local storage in {args.storage_dir or 'the temp dir'}"
        " (tmpfs: on this VM's ext4 a file create costs about 0.23 ms of kernel CPU, the"
        " filesystem's rather than the pipeline's; pass --storage-dir to measure on disk),"
        " pixels off."
    )
    with tempfile.TemporaryDirectory(prefix="exifq-bench-") as folder:
        workdir = Path(folder)
        redis_server = RedisServer(workdir)
        storage = Path(tempfile.mkdtemp(prefix="exifq-bench-", dir=args.storage_dir))
        try:
            runs = alternated(
                redis_server,
                workdir,
                storage,
                items,
                args,
                lambda limits: noop_run(redis_server, workdir, args.jobs, args.clients, limits),
            )
        finally:
            redis_server.stop()
            shutil.rmtree(storage, ignore_errors=True)
    media_ms = statistics.median(runs.pop("operation")) * 1e3
    report.section("CPU per job", "")
    report_runs(report, runs, args.jobs, media_ms)
    lines = target_lines(runs, args.bodies, args.jobs, media_ms)
    report.section("Target: the pipeline within 2 ms of Celery's floor", "\n".join(lines))
    report.finish(args.write_docs)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
