"""Peak memory of the service's processes, to size the Kubernetes requests and limits.

    PYTHONPATH=. python deploy/k8s/measure_memory.py [--pixels 100000000]

Starts the stack the integration tests use (a private Redis, moto's S3 on
loopback, the compose file's worker with ``--concurrency 1`` so that there is
exactly one pool process, the compose file's API, and beat), then submits,
over HTTP, one phase at a time, each job waited for before the next:

- ``extract``, ``remove`` (strip) and ``hash`` with default options over every
  corpus file (117 files);
- the same three operations on one generated JPEG of ``--pixels`` pixels
  (default 100 MP, ``MAX_IMAGE_PIXELS``'s default: the largest image the
  service accepts), a corpus camera JPEG upscaled, with its EXIF.

Measured: VmHWM (peak resident set size, whole process, from
``/proc/PID/status``) of the worker's pool process after each phase; between
phases the peak is reset by writing ``5`` to ``/proc/PID/clear_refs`` (Linux
>= 4.0), so each phase's figure is that phase's own peak. Also the idle
figures and the peaks of the worker's main process, the API's gunicorn
processes and beat. ``WORKER_MAX_MEMORY_PER_CHILD`` is raised for the run so
the pool process is never replaced mid-measurement (the script checks).
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image

from tests.conftest import corpus_files
from tests.support.stack import (
    RedisServer,
    S3Server,
    Stack,
    delete_prefix,
    finished,
    process_group,
)

OPS = ("extract", "remove", "hash")
SEED_IMAGE = "exif-samples/jpg/Canon_40D.jpg"  # a camera JPEG with EXIF and maker notes


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` memory field (``VmHWM``, ``VmRSS``), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    """Reset ``pid``'s VmHWM to its current RSS (proc(5), ``clear_refs``)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def big_jpeg(pixels: int) -> bytes:
    """A camera JPEG (EXIF kept) upscaled to about ``pixels`` pixels, with seeded luminance
    grain (sigma 8) so that it compresses like a photograph (about 30 MiB at quality 90)."""
    seed = next(f for f in corpus_files() if f.id == SEED_IMAGE)
    with Image.open(io.BytesIO(seed.data)) as image:
        exif = image.info.get("exif", b"")
        scale = math.sqrt(pixels / (image.width * image.height))
        size = (int(image.width * scale), int(image.height * scale))
        smooth = np.asarray(image.convert("RGB").resize(size, Image.Resampling.BICUBIC))
    grain = np.random.default_rng(0).normal(0, 8, smooth.shape[:2]).astype(np.int16)
    pixels_out = (smooth + grain[..., None]).clip(0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels_out).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def run_job(api_url: str, op: str, name: str, data: bytes) -> str:
    answer = requests.post(
        f"{api_url}/api/v1/{op}", files={"file": (name, data)}, params={"wait": 30}, timeout=120
    )
    body = answer.json()
    if answer.status_code not in (200, 202):
        return f"refused {answer.status_code}"
    return finished(api_url, body, timeout=900)["status"]


def phase(api_url: str, pool: int, op: str, files: list[tuple[str, bytes]]) -> tuple[int, dict]:
    """Run ``op`` over ``files``; the pool process's peak (KiB) and the outcomes."""
    reset_peak(pool)
    outcomes: dict[str, int] = {}
    for name, data in files:
        status = run_job(api_url, op, name, data)
        outcomes[status] = outcomes.get(status, 0) + 1
    return status_kib(pool, "VmHWM"), outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pixels", type=int, default=100_000_000)
    args = parser.parse_args()
    mib = 1024
    Image.MAX_IMAGE_PIXELS = None  # our own test image
    corpus = [(f.path.name, f.data) for f in corpus_files()]
    big = big_jpeg(args.pixels)
    with Image.open(io.BytesIO(big)) as image:
        print(f"large JPEG: {image.width}x{image.height}, {len(big) / 2**20:.1f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = RedisServer(Path(tmp))
        s3 = S3Server().start()
        stack = Stack(redis_server.url, s3.url, Path(tmp))
        stack.overrides = {
            "WORKER_MAX_MEMORY_PER_CHILD": 64 * 2**20,  # KiB: never replaced during the run
            "TASK_SOFT_TIME_LIMIT": 600,
            "TASK_TIME_LIMIT": 660,
            "BROKER_VISIBILITY_TIMEOUT": 900,
        }
        try:
            worker = stack.start_worker(concurrency=1)
            api_url = stack.start_api()
            api = stack.processes[-1]
            beat = stack._spawn("beat", ["beat", "--loglevel", "WARNING"], stack.env())
            time.sleep(5)
            (pool,) = children(worker.pid)
            print(
                f"idle: worker main {status_kib(worker.pid, 'VmHWM') / mib:.0f} MiB, "
                f"pool process {status_kib(pool, 'VmRSS') / mib:.0f} MiB RSS"
            )
            rows = []
            phases = (("corpus (117 files)", corpus), ("large JPEG", [("big.jpg", big)]))
            for label, files in phases:
                for op in OPS:
                    peak, outcomes = phase(api_url, pool, op, files)
                    rows.append((label, op, peak, outcomes))
                    print(f"{label:20} {op:8} pool VmHWM {peak / mib:7.0f} MiB  {outcomes}")
            if children(worker.pid) != [pool]:
                print("the pool process was replaced: figures are not valid", file=sys.stderr)
                return 1
            api_pids = process_group(api.pid)
            print(f"worker main process VmHWM {status_kib(worker.pid, 'VmHWM') / mib:.0f} MiB")
            print(
                "API (gunicorn master + workers) VmHWM "
                + " + ".join(f"{status_kib(p, 'VmHWM') / mib:.0f}" for p in api_pids)
                + " MiB"
            )
            print(f"beat VmHWM {status_kib(beat.pid, 'VmHWM') / mib:.0f} MiB")
            print(f"largest pool-process peak: {max(r[2] for r in rows) / mib:.0f} MiB")
        finally:
            stack.stop()
            delete_prefix(redis_server.url, stack.prefix)
            s3.stop()
            redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
