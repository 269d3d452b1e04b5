"""What the media-core benchmarks share: the machine and its load, peak memory, tables.

Every script prints Markdown tables; with ``--write-docs`` it also writes them
to ``docs/benchmarks/<name>.md`` under a header naming the date, the commit
measured, the machine (``nproc``, CPU model) and ``uptime``'s load averages
when the run started and ended, so nothing is pasted by hand.

Peak memory is always a whole process's VmHWM (resident high-water mark):
read from ``/proc/PID/status`` for a process still running, or, for a
command that exits, from GNU ``time -f %M`` (``wait4``'s ``ru_maxrss`` of a
child forked by that small process: a child forked by this Python process
would report at least this process's own peak, because Linux carries the
parent's high-water mark across ``exec``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks"
TIME = shutil.which("time") and "/usr/bin/time"


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, as ``uptime`` prints them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def commit() -> str:
    """The commit measured (and whether the tree has changes on top)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    main = git("merge-base", "HEAD", "main")[:7]
    dirty = " with uncommitted changes" if git("status", "--porcelain", "--", "worker") else ""
    return f"{head} ({branch}{dirty}), containing main at {main or 'unknown'}"


def vmhwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a running process (Linux ``VmHWM``), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Run:
    """One command's wall and CPU (user + system) seconds, peak memory (MB) and outcome."""

    seconds: float
    cpu: float
    peak: float
    proc: subprocess.CompletedProcess


def run_command(argv: Sequence[str], **kwargs) -> Run:
    """Run one command, start-up included: wall time, and CPU and peak memory by GNU time."""
    wrapped = [TIME, "-f", "%M %U %S", *argv] if TIME else list(argv)
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, check=False, **kwargs)
    seconds = time.perf_counter() - start
    peak = cpu = float("nan")
    if TIME:
        *rest, last = proc.stderr.decode(errors="replace").rstrip("\n").split("\n")
        fields = last.split()
        if len(fields) == 3 and fields[0].isdigit():
            peak, cpu = int(fields[0]) / 1024, float(fields[1]) + float(fields[2])
        proc.stderr = "\n".join(rest).encode()
    return Run(seconds, cpu, peak, proc)


COLD_HEADER = [
    "command", "files", "wall", "CPU", "exifq's speed-up: wall", "CPU", "peak memory",
    "non-zero exit",
]  # fmt: skip


def cold_row(name: str, files: str, runs: Sequence[Run], exifq: Sequence[Run]) -> list[str]:
    """A row of a cold table: medians of ``runs``, their ratios to exifq's, the largest peak."""
    wall, cpu = (statistics.median(getattr(r, what) for r in runs) for what in ("seconds", "cpu"))
    exifq_wall, exifq_cpu = (
        statistics.median(getattr(r, what) for r in exifq) for what in ("seconds", "cpu")
    )
    peak = max(r.peak for r in runs)
    failed = sum(r.proc.returncode != 0 for r in runs)
    return [
        name,
        files,
        ms(wall),
        ms(cpu),
        ratio(wall, exifq_wall),
        ratio(cpu, exifq_cpu),
        mb(peak),
        f"{failed} of {len(runs)}",
    ]


def run_leg(module: str, leg: str, *args: str, timeout: float | None = None) -> dict:
    """Run one leg of a bench script in a fresh interpreter; its JSON answer (with its VmHWM)."""
    argv = [sys.executable, "-m", module, "--leg", leg, *args]
    proc = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout
    )
    if proc.returncode:
        raise RuntimeError(f"{module} --leg {leg} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def leg_answer(result: dict) -> None:
    """What a leg prints last: its result and its own peak memory."""
    print(json.dumps({**result, "peak_mb": vmhwm_mb()}))


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each callable, run in turn ``repeat`` times (so load hits all alike)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(timed(run))
    return {name: statistics.median(values) for name, values in times.items()}


def ratio(reference: float, ours: float) -> str:
    """How many times faster ours is than the reference (or slower, below 1)."""
    if not ours or reference != reference or ours != ours:
        return "–"
    return f"{reference / ours:.2f}×"


def mb(value: float) -> str:
    return "–" if value != value else f"{value:.0f} MB"


def ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1e3:.1f} ms"


@dataclass
class Report:
    """A benchmark's tables, printed as they come and written to docs/benchmarks/ at the end."""

    name: str
    title: str
    command: str
    started: str = field(default_factory=load_average)
    measured: str = field(default_factory=lambda: commit())  # the code as the run starts
    parts: list[str] = field(default_factory=list)

    def section(self, heading: str, text: str = "") -> None:
        self._add(f"## {heading}\n\n{text}".rstrip() + "\n")

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[object]], note: str = ""
    ) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        self._add("\n".join(lines) + "\n" + (f"\n{note}\n" if note else ""))

    def note(self, text: str) -> None:
        self._add(text + "\n")

    def _add(self, text: str) -> None:
        print(text, flush=True)
        self.parts.append(text)

    def header(self) -> str:
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"# {self.title}\n\n"
            f"Generated by `{self.command}` on {now}; do not edit by hand.\n\n"
            f"- Commit measured: {self.measured}\n"
            f"- Machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}, Python"
            f" {platform.python_version()}\n"
            f"- Load average (1, 5, 15 min): {self.started} at the start,"
            f" {load_average()} at the end. The machine is shared: read the ratios,"
            " measured in the same run, not the absolute times.\n"
        )

    def finish(self, write_docs: bool) -> None:
        print(f"load average at the end: {load_average()}")
        if write_docs:
            DOCS.mkdir(parents=True, exist_ok=True)
            path = DOCS / f"{self.name}.md"
            path.write_text(self.header() + "\n" + "\n".join(self.parts))
            print(f"wrote {path.relative_to(REPO)}")


def parser(doc: str) -> argparse.ArgumentParser:
    """The common command line: ``--write-docs`` and the hidden ``--leg`` of child processes."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="also write docs/benchmarks/<name>.md"
    )
    parser.add_argument("--leg", help=argparse.SUPPRESS)
    return parser


def start(report: Report) -> None:
    print(f"# {report.title}\nload average at the start: {report.started}; {cpu_model()}")
