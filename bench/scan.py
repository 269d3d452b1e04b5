"""Virus-scan overhead per job: ``python -m bench.scan``.

A private clamd (``exifq.cli.clamd``, on the EICAR-only test database unless
``--system-database`` uses ``/var/lib/clamav``) scans files of 0.1, 1, 5 and 20 MB
(a JPEG padded with random bytes) through ``common.clamav.scan`` (VERSION + INSTREAM over
the unix socket), beside ClamAV's own ``clamdscan --stream`` (a new process per file, as a
shell script would) on the same files. Medians of the runs, wall time; the machine may be
shared, so read the ratios. With the official database clamd's own scanning dominates:
run with ``--system-database`` where freshclam has filled it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common.clamav import Clamd, scan
from exifq.cli import clamd as launcher
from tests.support.clamd import photo

SIZES_MB = (0.1, 1, 5, 20)


def _median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--system-database", action="store_true")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="exifq-bench-scan-") as folder:
        base = Path(folder)
        database = None if args.system_database else launcher.write_test_database(base / "db")
        clamd = launcher.start(base, database=database, stream_max_bytes=64 * 1024 * 1024)
        try:
            client = Clamd(clamd.url, timeout=60, max_bytes=64 * 1024 * 1024)
            config = base / "clamd.conf"
            print(f"{'size':>7s} {'ours ms':>9s} {'clamdscan ms':>13s} {'ratio':>6s}")
            for size in SIZES_MB:
                data = photo() + os.urandom(int(size * 1024 * 1024))
                path = base / f"file-{size}.jpg"
                path.write_bytes(data)
                assert scan(data, client)["infected"] is False
                ours = _median_ms(lambda data=data: scan(data, client), args.runs)
                argv = ["clamdscan", "--no-summary", "--stream", f"--config-file={config}", path]
                theirs = _median_ms(
                    lambda argv=argv: subprocess.run(argv, check=True, capture_output=True),
                    args.runs,
                )
                print(f"{size:6g}M {ours:9.1f} {theirs:13.1f} {theirs / ours:5.1f}x")
        finally:
            clamd.stop()


if __name__ == "__main__":
    main()
