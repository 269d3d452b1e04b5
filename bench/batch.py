"""Hash batches through the service with 1 and then 2 worker processes; de-duplicating 10,000
hashed records.

    python -m bench.batch [--images 2000] [--records 10000] [--storage s3,local]

Generates ``--images`` small distinct JPEGs (Pillow, 160×120, about 3.4 kB
each), starts a private Redis, the storage (moto's S3 under gunicorn as in
``bench/e2e``, then a local directory), the compose file's API, and one
worker *process* (the compose file's worker command with ``--concurrency 1``).
It sends all the images as one ``POST /api/v1/batch`` (``operations=hash``,
default types phash,md5,sha256) the way ``exifq hash DIR`` does (the same
streamed body, the same long-poll watch) and times it from the first byte
sent until the batch is done; then it starts a second worker process and
times the same batch again. Concurrency 1 per process makes "1 then 2
workers" mean "1 then 2 cores busy with jobs": on this 2-core machine the
API, Redis, the storage and this client share those cores, so the second
worker cannot double the rate; the CPU time each part spent per image says
where the cores went. Beside it, in the same run, the hash operation itself
in a loop and in a 2-process pool.

Then the de-duplication of ``--records`` already-hashed records: the hashes
the batch produced, plus near variants (0–12 random bit flips) up to
``--records``, answered by ``worker.matching.answer`` (what the finalize task
runs) for a ``remove_duplicates`` request with range 8; timed alone, without
the hashing.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from bench.e2e import storage_for
from exifq import batches
from exifq.client import Client
from exifq.inputs import Input, collect_inputs
from tests.support.operations import run as run_operation
from tests.support.stack import (
    RedisServer,
    Stack,
    cpu_seconds,
    process_group,
)
from worker import matching

WARMUP_IMAGES = 40
STORAGE_LABEL = {"s3": "S3 (moto)", "local": "local directory"}
RANGE = 8


def make_images(folder: Path, count: int, seed: int = 6) -> list[Input]:
    """``count`` distinct JPEGs: random 8×6 colour grids, smoothly upscaled to 160×120."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        grid = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
        image = Image.fromarray(grid).resize((160, 120), Image.Resampling.BICUBIC)
        image.save(folder / f"img{i:05d}.jpg", quality=85)
    return collect_inputs([str(folder)])


def hash_one(path: Path) -> None:
    run_operation("hash", path.read_bytes(), path.name)


def in_process(inputs: list[Input], processes: int) -> float:
    """Images/s of the bare hash operation: a loop (1) or a process pool."""
    paths = [item.path for item in inputs]
    started = time.perf_counter()
    if processes == 1:
        for path in paths:
            hash_one(path)
    else:
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(hash_one, paths, chunksize=16))
    return len(paths) / (time.perf_counter() - started)


def hash_batch(client: Client, inputs: list[Input]) -> dict:
    """One hash batch as ``exifq hash`` sends and watches it; seconds to accepted and to done."""
    started = time.perf_counter()
    answer = batches.submit(client.transport, inputs, {"operations": "hash"})
    accepted = time.perf_counter()
    done = batches.watch(client.transport, answer["uuid"])
    finished = time.perf_counter()
    if done["completed"] != len(inputs):
        raise RuntimeError(f"batch ended {done['status']}: {done['failed']} failed")
    return {"uuid": answer["uuid"], "accepted": accepted - started, "done": finished - started}


def phashes(client: Client, batch_id: str) -> list[str]:
    """The phash of every item of a finished hash batch, in order."""
    pages = batches.pages(client.transport, batch_id)
    return [item["result"]["hashes"]["phash"] for page in pages for item in page]


def through_service(
    inputs: list[Input], workdir: Path, storage: str
) -> tuple[list[dict], list[str]]:
    """Timings (and CPU seconds by part) of the batch with 1 then 2 worker processes on
    ``storage`` (``s3``: moto; ``local``: a directory), and the hashes it gave."""
    workdir.mkdir(parents=True, exist_ok=True)
    redis_server = RedisServer(workdir)
    with storage_for(storage, workdir) as (overrides, storage_parts):
        stack = Stack(redis_server.url, "", workdir, overrides=overrides)
        try:
            stack.api_url = stack.start_api()
            api = stack.processes[-1]
            client = Client(stack.api_url, None)
            workers: list[subprocess.Popen] = []
            runs = []
            for count in (1, 2):
                workers.append(stack.start_worker(concurrency=1))
                hash_batch(client, inputs[:WARMUP_IMAGES])
                parts = {
                    "workers": [pid for w in workers for pid in process_group(w.pid)],
                    "API": process_group(api.pid),
                    **storage_parts,
                    "Redis": [redis_server.process.pid] if redis_server.process else [],
                    "client": [os.getpid()],
                }
                before = {name: cpu_seconds(pids) for name, pids in parts.items()}
                timing = hash_batch(client, inputs)
                cpu = {name: cpu_seconds(pids) - before[name] for name, pids in parts.items()}
                runs.append({"workers": count, "storage": storage, **timing, "cpu": cpu})
            return runs, phashes(client, runs[-1]["uuid"])
        finally:
            stack.stop()
            redis_server.stop()


def variants(hashes: list[str], count: int, seed: int = 8) -> list[str]:
    """``count`` 64-bit hex hashes: the given ones, then near copies (0–12 random bit flips)."""
    rng = random.Random(seed)
    out = list(hashes[:count])
    while len(out) < count:
        value = int(rng.choice(hashes), 16)
        for bit in rng.sample(range(64), rng.randrange(0, 13)):
            value ^= 1 << bit
        out.append(format(value, "016x"))
    return out


def dedupe_seconds(hashes: list[str]) -> tuple[float, int, str]:
    """Seconds to answer ``remove_duplicates`` over already-hashed records, clusters found, how."""
    records = [
        {"_id": f"r{i}", "_url": f"https://images.invalid/{i}.jpg"} for i in range(len(hashes))
    ]
    request = matching.parse_request(
        "remove_duplicates",
        {"records": records, "hash_type": "phash", "range": RANGE},
        max_records=len(records),
        max_base64_bytes=1,
    )
    outcomes = [
        matching.RecordOutcome(
            {"fileName": f"{i}.jpg", "hashes": {"phash": h}, "width": 160, "height": 120}
        )
        for i, h in enumerate(hashes)
    ]
    started = time.perf_counter()
    body = matching.answer(request, outcomes)
    seconds = time.perf_counter() - started
    clusters = sum(1 for record in body["records"] if record.get("removed_records"))
    return seconds, clusters, "worker.matching.answer"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument(
        "--storage",
        type=lambda text: text.split(","),
        default=["s3", "local"],
        help="s3 (moto under gunicorn), local (a directory), or both: s3,local",
    )
    args = parser.parse_args(argv)

    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="exifq-bench-batch-") as workdir:
        folder = Path(workdir, "images")
        folder.mkdir()
        inputs = make_images(folder, args.images)
        megabytes = sum(item.size for item in inputs) / 1e6
        print(f"{len(inputs)} distinct JPEGs, 160x120, {megabytes:.1f} MB; hash phash,md5,sha256")
        for storage in args.storage:
            done, hashes = through_service(inputs, Path(workdir, storage), storage)
            runs += done
        loop_rate = in_process(inputs, 1)
        pool_rate = in_process(inputs, 2)

    for run in runs:
        rate = run["rate"] = len(inputs) / run["done"]
        plural = "es" if run["workers"] > 1 else ""
        print(
            f"service on {STORAGE_LABEL[run['storage']]}, {run['workers']} worker process{plural}: "
            f"{rate:6.1f} images/s ({run['done']:.1f} s; upload accepted after "
            f"{run['accepted']:.1f} s); {rate / loop_rate:.0%} of the in-process loop"
        )
        spent = ", ".join(f"{k} {v / len(inputs) * 1e3:.1f}" for k, v in run["cpu"].items())
        print(f"  CPU ms per image: {spent}")
    for one, two in zip(runs[::2], runs[1::2], strict=True):
        print(
            f"2 workers / 1 worker ({STORAGE_LABEL[one['storage']]}): "
            f"{two['rate'] / one['rate']:.2f}x"
        )
    print(
        f"in-process loop {loop_rate:.1f} images/s; 2-process pool {pool_rate:.1f} images/s "
        f"({pool_rate / loop_rate:.2f}x)"
    )

    records = variants(hashes, args.records)
    seconds, clusters, how = dedupe_seconds(records)
    print(
        f"de-duplicate {len(records)} hashed records (phash, range {RANGE}): "
        f"{seconds * 1e3:.0f} ms, {clusters} clusters ({how})"
    )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
