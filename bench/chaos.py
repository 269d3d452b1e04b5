"""The chaos suite: a steady load of jobs while one fault is injected, one scenario at a time.

    python -m bench.chaos [--short] [--only SUBSTRING ...] [--workdir DIR]

For each scenario (``tests/support/chaos_scenarios.py``) a service of its own
(worker with concurrency 2, the API under gunicorn, a private Redis, moto's S3 in
a process of its own or a small local disk, RabbitMQ where the scenario says)
takes ``rate`` extract jobs per second; the fault is injected, lasts, and is
repaired; then every accepted job is followed to its end. It prints, per
scenario, accepted / refused / completed / failed / lost and the time to
recover (``resumed``: from the repair to the first job completed after it;
``drained``: until every job accepted before the repair had finished). The
target is 0 lost in every scenario but "Redis restart without persistence".
``--short`` is the form the tests run (seconds instead of tens of seconds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.support.chaos import table
from tests.support.chaos_scenarios import SCENARIOS, SHORT, Timing, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the tests' short timings")
    parser.add_argument("--only", nargs="*", default=[], help="scenarios whose name has one")
    parser.add_argument("--workdir", type=Path, default=None, help="logs and data (kept)")
    args = parser.parse_args(argv)
    timing = SHORT if args.short else Timing()
    chosen = [s for s in SCENARIOS if not args.only or any(o in s.name for o in args.only)]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="exifq-chaos-"))
    print(
        f"load: {timing.rate:g} extract jobs/s; {timing.before:g} s before the fault, "
        f"{timing.during:g} s of fault, {timing.after:g} s after the repair; drain up to "
        f"{timing.drain:g} s. Logs: {workdir}",
        flush=True,
    )
    outcomes, unexpected = [], []
    for index, scenario in enumerate(chosen):
        started = time.monotonic()
        result = run(scenario, timing, workdir / f"{index}")
        outcomes.append(result)
        took = time.monotonic() - started
        failures = ", ".join(f"{code} {n}" for code, n in result.failures.items()) or "none"
        print(
            f"{scenario.name}: {result.fault}; failed: {failures}; "
            f"worker restarts: {result.restarts} ({took:.0f} s)",
            flush=True,
        )
        if result.lost and not scenario.loses_jobs:
            unexpected.append(scenario.name)
    print()
    print(table(outcomes))
    if unexpected:
        print(f"\nLOST JOBS in: {', '.join(unexpected)}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
