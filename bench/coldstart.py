"""Cold start: one file, one fresh process, exifq beside ExifTool.

    python -m bench.coldstart [--runs 21] [--file PATH] [--baseline-tree DIR] [--write-docs]

Each side reads the metadata of one file and prints JSON, in a fresh process every time
(interpreter or Perl start, imports, tables and the file's own work included), runs
interleaved so the machine's load hits all alike; medians of ``--runs`` of wall and CPU
(user + system) time, and the whole-process peak (GNU time):

- ``exifq extract --local --no-pixels FILE`` (``python -m exifq``, what the ``exifq``
  script runs), with ExifTool's tables already built (``exifq tables build``);
- ``exiftool -j -n FILE``;
- ``python -c pass``: the interpreter's own start on this machine (every ``.pth`` file
  of its site-packages included), the floor under any Python command.

The file is a camera JPEG of the corpus with maker notes (``--file`` to choose). Python
keeps its bytecode in a temporary ``PYTHONPYCACHEPREFIX``, written by an untimed first
run, as an installed package has it (with ``PYTHONDONTWRITEBYTECODE`` a source tree would
compile every module on every start; no checkout is written to). ``--baseline-tree
DIR`` adds the same exifq command run from another checkout.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import REPO, Report, Run, mb, ms, parser, ratio, run_command, start

DEFAULT_FILE = "exif-samples/jpg/Canon_40D.jpg"
CORPUS = Path(os.environ.get("EXIFQ_CORPUS", "/work/shared/corpus"))


def _env(tree: Path, pycache: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=pycache, PWD=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def sides(python: str, baseline: Path | None, pycache: str) -> dict[str, tuple[list[str], dict]]:
    """name -> (argv, environment); ``python -m`` imports from the working directory first,
    so each exifq side runs in its own tree (``PWD`` in its environment says which)."""
    here = _env(REPO, pycache)
    out = {
        "exifq extract --local --no-pixels": (
            [python, "-m", "exifq", "extract", "--local", "--no-pixels"], here),
        "exiftool -j -n": (["exiftool", "-j", "-n"], here),
        "python -c pass (interpreter start)": ([python, "-c", "pass", "--"], here),
    }  # fmt: skip
    if baseline is not None:
        there = _env(baseline, pycache)
        argv = [python, "-m", "exifq", "extract", "--local", "--no-pixels"]
        out[f"baseline {baseline}: exifq extract --local --no-pixels"] = (argv, there)
    return out


def measure(report: Report, path: Path, runs: int, baseline: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="exifq-pycache-") as pycache:
        _measure(report, path, runs, sides(sys.executable, baseline, pycache))


def _measure(report: Report, path: Path, runs: int, chosen: dict) -> None:
    for argv, env in chosen.values():  # bytecode, page cache, tables built if missing
        run_command([*argv, str(path)], cwd=env["PWD"], env=env)
    timings: dict[str, list[Run]] = {name: [] for name in chosen}
    for _ in range(runs):
        for name, (argv, env) in chosen.items():
            run = run_command([*argv, str(path)], cwd=env["PWD"], env=env)
            if run.proc.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{run.proc.stderr.decode()[-2000:]}")
            timings[name].append(run)
    wall = {name: statistics.median(r.seconds for r in rs) for name, rs in timings.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in timings.items()}
    exiftool = "exiftool -j -n"
    report.section(
        "One file, a fresh process each time",
        f"`{path.name}` ({path.stat().st_size / 1024:.0f} KiB), {runs} runs per side, interleaved;"
        " medians. “ExifTool ÷ this”: above 1, this row is faster than ExifTool.",
    )
    rows = [
        [name, ms(wall[name]), ms(cpu[name]), ratio(wall[exiftool], wall[name]),
         ratio(cpu[exiftool], cpu[name]), mb(max(r.peak for r in timings[name]))]
        for name in chosen
    ]  # fmt: skip
    report.table(["command", "wall", "CPU", "ExifTool ÷ this: wall", "CPU", "peak memory"], rows)


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--runs", type=int, default=21, help="processes per side (median)")
    cli.add_argument("--file", type=Path, help=f"the file (default: corpus {DEFAULT_FILE})")
    cli.add_argument("--baseline-tree", type=Path, help="also run exifq from this checkout")
    args = cli.parse_args(argv)
    if shutil.which("exiftool") is None:
        sys.exit("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    path = args.file or CORPUS / DEFAULT_FILE
    if not path.is_file():
        sys.exit(f"{path} not found: pass --file or set EXIFQ_CORPUS")
    command = " ".join(["python -m bench.coldstart", *(sys.argv[1:] if argv is None else argv)])
    report = Report("coldstart", "Cold start: one file, exifq beside ExifTool", command)
    start(report)
    measure(report, path, args.runs, args.baseline_tree)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
