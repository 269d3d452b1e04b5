"""Metadata extraction: exifq beside ExifTool and exifread, warm and cold, in the same run.

    python -m bench.extract [--corpus DIR] [--rounds 5] [--cold-files 20] [--write-docs]

Over the shared corpus (every file in its manifest), each side from a file
path to JSON text, reading the file from disk every time:

- Warm vs warm (a long-running process, start-up excluded): exifq
  ``extract_metadata(pixels=False)`` + ``json.dumps`` in a loop; ExifTool
  ``-stay_open`` fed ``-j -G1 -n FILE`` file by file through its pipe (its
  answer read back); exifread ``process_file(details=True)`` with its
  printable values + ``json.dumps`` (EXIF and maker notes only: no XMP, IPTC
  or ICC). Passes interleaved, median of ``--rounds``. Peak memory: VmHWM of
  a process doing one such pass (for ExifTool, its ``-stay_open`` process).
- Cold vs cold: whole processes, interpreter start-up and imports included,
  peak memory by GNU time. One process per file over ``--cold-files`` files
  (``python -m exifq extract --local --no-pixels FILE``, ``exiftool -j -G1 -n
  FILE``, a ``python -c`` exifread script) and one process for the whole corpus.
- 100 MP: a generated 10000×10000 JPEG with EXIF, in a fresh process each:
  exifq metadata only (``pixels=False``), exifq with the service's default
  options (``pixels=True``: pHash and predominant colours decode the image),
  ExifTool, and a process that only imports exifq.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from bench.common import (
    COLD_HEADER,
    REPO,
    Report,
    Run,
    cold_row,
    leg_answer,
    mb,
    ms,
    parser,
    ratio,
    run_command,
    run_leg,
    start,
    timed,
)

BIG_SIDE = 10_000
EXIFTOOL_ARGS = ["-j", "-G1", "-n"]
EXIFREAD_SCRIPT = """
import json, sys, exifread
for path in sys.argv[1:]:
    with open(path, "rb") as file:
        tags = exifread.process_file(file, details=True)
    print(json.dumps({key: tag.printable if hasattr(tag, "printable") else repr(tag)
                      for key, tag in tags.items()}))
"""


def find_corpus(explicit: str | None) -> Path:
    for candidate in (
        explicit,
        os.environ.get("EXIFQ_CORPUS"),
        REPO.parent / "shared" / "corpus",
        "/work/shared/corpus",
    ):
        if candidate and (Path(candidate) / "manifest.json").is_file():
            return Path(candidate)
    sys.exit("corpus not found: pass --corpus DIR or set EXIFQ_CORPUS")


def corpus_paths(corpus: Path) -> list[Path]:
    return [corpus / row["path"] for row in json.loads((corpus / "manifest.json").read_text())]


def use_tables() -> tuple[str, str]:
    """Extraction reads the tables built from the installed ExifTool (built if missing, loaded
    now, as the worker does before forking); where ExifTool and the tables are."""
    from common.settings import load_settings
    from worker.media.extract import engine

    settings = load_settings()
    engine.use_exiftool(settings.exiftool, settings.tables_dir, eager=True)
    return str(settings.exiftool), str(settings.tables_dir)


# ---- the warm sides -----------------------------------------------------------------------


def exifq_pass(paths: list[Path]) -> int:
    from common.errors import ExifqError
    from worker.media.extract import extract_metadata

    refused = 0
    for path in paths:
        try:
            json.dumps(extract_metadata(path.read_bytes(), path.name, pixels=False))
        except ExifqError:
            refused += 1
    return refused


def exifread_pass(paths: list[Path]) -> int:
    import exifread

    failed = 0
    for path in paths:
        try:
            with open(path, "rb") as file:
                tags = exifread.process_file(file, details=True)
            json.dumps({key: getattr(tag, "printable", repr(tag)) for key, tag in tags.items()})
        except Exception:  # exifread raises on some malformed files
            failed += 1
    return failed


class StayOpen:
    """One ExifTool ``-stay_open`` process; ``run(path)`` returns its JSON answer."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["exiftool", "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.run(None)  # Perl start-up and module loading happen here, untimed

    def run(self, path: Path | None, *args: str) -> str:
        command = ["-ver"] if path is None else [*args, str(path)]
        self.proc.stdin.write("\n".join([*command, "-execute", ""]))
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline()) and not line.startswith("{ready"):
            lines.append(line)
        return "".join(lines)

    def close(self) -> float:
        """Stop the process; its peak memory (MB)."""
        from bench.common import vmhwm_mb

        peak = vmhwm_mb(self.proc.pid)
        self.proc.stdin.write("-stay_open\nFalse\n")
        self.proc.stdin.close()
        self.proc.wait()
        return peak


def exiftool_pass(tool: StayOpen, paths: list[Path]) -> int:
    return sum(not tool.run(path, *EXIFTOOL_ARGS).startswith("[") for path in paths)


def leg_pass(side: str, paths: list[Path]) -> dict:
    warnings.simplefilter("ignore")
    if side == "exifq":
        use_tables()
    failed = {"exifq": exifq_pass, "exifread": exifread_pass}[side](paths)
    return {"failed": failed}


# ---- the report ------------------------------------------------------------------------------


def warm(report: Report, paths: list[Path], rounds: int) -> None:
    warnings.simplefilter("ignore")
    tool = StayOpen()
    use_tables()
    exifq_pass(paths)  # imports and first calls
    exifread_pass(paths)
    exiftool_pass(tool, paths)
    times: dict[str, list[float]] = {"exifq": [], "ExifTool -stay_open": [], "exifread": []}
    for _ in range(rounds):
        times["exifq"].append(timed(lambda: exifq_pass(paths)))
        times["ExifTool -stay_open"].append(timed(lambda: exiftool_pass(tool, paths)))
        times["exifread"].append(timed(lambda: exifread_pass(paths)))
    refused = exifq_pass(paths)
    failed = {"ExifTool -stay_open": exiftool_pass(tool, paths), "exifread": exifread_pass(paths)}
    peaks = {
        "exifq": run_leg("bench.extract", "exifq", *map(str, paths))["peak_mb"],
        "ExifTool -stay_open": tool.close(),
        "exifread": run_leg("bench.extract", "exifread", *map(str, paths))["peak_mb"],
    }
    median = {name: statistics.median(values) for name, values in times.items()}
    n = len(paths)
    rows = [
        [name, f"{n / median[name]:.0f}", ms(median[name] / n),
         ratio(median[name], median["exifq"]), mb(peaks[name])]
        for name in times
    ]  # fmt: skip
    size = sum(p.stat().st_size for p in paths) / 2**20
    report.section(
        "Warm vs warm: file path to JSON text, long-running process",
        f"{n} corpus files ({size:.1f} MiB), read from disk each time; passes interleaved, median"
        f" of {rounds}. exifq: `extract_metadata(pixels=False)` + `json.dumps`. ExifTool:"
        f" `{' '.join(EXIFTOOL_ARGS)} FILE` through one `-stay_open` pipe (start-up untimed)."
        " exifread: `process_file(details=True)` + printable values + `json.dumps` (EXIF and"
        " maker notes only). Peak: VmHWM of a process doing one pass (ExifTool: its"
        " `-stay_open` process after all passes).",
    )
    report.table(
        ["side", "files/s", "per file", "exifq's speed-up", "peak memory"], rows,
        f"exifq refused {refused} damaged files (an error answer); ExifTool answered"
        f" {n - failed['ExifTool -stay_open']}; exifread failed on {failed['exifread']}.",
    )  # fmt: skip


def cold(report: Report, paths: list[Path], per_file: int) -> None:
    python = sys.executable
    sides = {
        "exifq extract --local --no-pixels": [python, "-m", "exifq", "extract", "--local",
                                               "--no-pixels"],
        f"exiftool {' '.join(EXIFTOOL_ARGS)}": ["exiftool", *EXIFTOOL_ARGS],
        "exifread (python -c)": [python, "-c", EXIFREAD_SCRIPT],
    }  # fmt: skip
    sample = paths[:: max(1, len(paths) // per_file)][:per_file]
    one: dict[str, list[Run]] = {name: [] for name in sides}
    for path in sample:
        for name, argv in sides.items():
            one[name].append(run_command([*argv, str(path)], cwd=REPO))
    batch = {name: run_command([*argv, *map(str, paths)], cwd=REPO) for name, argv in sides.items()}
    exifq = next(iter(sides))
    rows = [cold_row(name, "one file", one[name], one[exifq]) for name in sides]
    rows += [cold_row(name, f"all {len(paths)}", [batch[name]], [batch[exifq]]) for name in sides]
    report.section(
        "Cold vs cold: whole processes, start-up included",
        f"One process per file (median over {len(sample)} files spread over the corpus), then one"
        " process for the whole corpus. Wall and CPU (user + system) time; peak: whole-process"
        " VmHWM (GNU time; the largest over the files).",
    )
    report.table(COLD_HEADER, rows)


_RSS_SCRIPT = """
import sys
from worker.media.extract import engine, extract_metadata
from bench.common import vmhwm_mb
engine.use_exiftool(sys.argv[1], sys.argv[2])  # where ExifTool and its tables are
if len(sys.argv) > 4:
    data = open(sys.argv[3], "rb").read()
    meta = extract_metadata(data, "big.jpg", pixels=sys.argv[4] == "pixels")
    assert meta["image"]["width"] == {side}
print(vmhwm_mb())
"""

_MAKE_BIG = """
import sys
from PIL import Image, ImageDraw
side = {side}
image = Image.new("RGB", (side, side), (90, 120, 150))
draw = ImageDraw.Draw(image)
for i in range(0, side, 250):
    draw.line([(0, i), (side, side - i)], fill=(200, 60, 40), width=30)
exif = Image.Exif()
exif[0x010F] = "exifq-bench"
exif[0x0110] = "100 MP"
image.save(sys.argv[1], "JPEG", quality=15, exif=exif.tobytes())
"""


def big_image(report: Report) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.jpg"
        subprocess.run([python, "-c", _MAKE_BIG.format(side=BIG_SIDE), str(big)], check=True)
        script = [python, "-c", _RSS_SCRIPT.format(side=BIG_SIDE), *use_tables()]
        runs = {
            "import exifq only": script,
            "exifq, metadata only (pixels=False)": [*script, str(big), "meta"],
            "exifq, default options (pixels=True)": [*script, str(big), "pixels"],
            "exiftool -j -G1 -n": ["exiftool", *EXIFTOOL_ARGS, str(big)],
        }
        rows = []
        for name, argv in runs.items():
            run = run_command(argv, cwd=REPO)
            assert run.proc.returncode == 0, run.proc.stderr.decode()[-800:]
            rows.append([name, ms(run.seconds), ms(run.cpu), mb(run.peak)])
        size = big.stat().st_size / 2**20
    report.section(
        "100 megapixels: whole-process peak memory",
        f"A generated {BIG_SIDE}×{BIG_SIDE} JPEG ({size:.1f} MiB) with EXIF, one fresh process"
        " each, start-up included (GNU time). Metadata only never decodes the pixels; the"
        " service's default options (pHash and colours) do.",
    )
    report.table(["process", "wall", "CPU", "peak memory"], rows)


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--corpus", help="corpus folder (default: ../shared/corpus)")
    cli.add_argument("--rounds", type=int, default=5, help="warm passes per side (median)")
    cli.add_argument("--cold-files", type=int, default=20, help="files run one process each")
    cli.add_argument("rest", nargs="*", help=__import__("argparse").SUPPRESS)
    args = cli.parse_args(argv)
    if args.leg:
        leg_answer(leg_pass(args.leg, [Path(p) for p in args.rest]))
        return
    if shutil.which("exiftool") is None:
        sys.exit("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    command = " ".join(["python -m bench.extract", *(sys.argv[1:] if argv is None else argv)])
    report = Report("extract", "Metadata extraction: exifq beside ExifTool and exifread", command)
    start(report)
    corpus = find_corpus(args.corpus)
    paths = corpus_paths(corpus)
    warm(report, paths, args.rounds)
    cold(report, paths, args.cold_files)
    big_image(report)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
