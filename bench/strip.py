"""Metadata removal: exifq beside ExifTool, jpegtran and mat2, warm and cold, in the same run.

    python -m bench.strip [--corpus DIR] [--rounds 3] [--megapixels 24] [--write-docs]

Every row is file to file (read the input, write the cleaned output), except
one marked in memory, which has no peer (none of the others strips bytes in
memory). Outputs go to ``/dev/shm`` when it exists, for every side alike.

- Warm vs warm (a long-running process, start-up excluded; best of
  ``--rounds`` passes, sides interleaved): exifq ``strip_file`` in a loop;
  ExifTool ``-all= -o OUT FILE`` file by file through one ``-stay_open``
  pipe; mat2's library (``libmat2``, Debian's python3) file by file in one
  process. Peak memory: each side's process VmHWM.
- Cold vs cold (whole processes, start-up included, peak by GNU time): one
  process per file (``exifq strip --local FILE -o OUT``, ``exiftool -all= -o
  OUT FILE``, ``jpegtran -copy none -outfile OUT FILE``, ``mat2 FILE``) and
  one process for every file (jpegtran takes one file per process: no row).

Sets: the corpus's JPEGs; every corpus file (exifq and ExifTool: the others
take fewer formats); one large camera-like JPEG the script generates.
ExifTool, jpegtran and exifq keep the JPEG scan data byte for byte; mat2
re-encodes the image with GdkPixbuf (its pixels change), as ``mat2 FILE`` does.
Install: ``apt-get install libimage-exiftool-perl libjpeg-turbo-progs mat2``.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    COLD_HEADER,
    REPO,
    Report,
    Run,
    cold_row,
    mb,
    ms,
    parser,
    ratio,
    run_command,
    start,
    vmhwm_mb,
)
from bench.extract import StayOpen, find_corpus

SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif"}
MAT2_PYTHON = "/usr/bin/python3"  # Debian's mat2 lives in its own interpreter's packages
MAT2_DRIVER = """
import os, sys
from libmat2 import parser_factory
for line in sys.stdin:
    source, target = line.rstrip("\\n").split("\\t")
    try:
        parser, _ = parser_factory.get_parser(source)
        parser.output_filename = target
        ok = bool(parser and parser.remove_all())
    except Exception:
        ok = False
    print("ok" if ok else "failed", flush=True)
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0], flush=True)
"""


def scratch() -> tempfile.TemporaryDirectory:
    """A fresh output folder, in RAM when the machine has /dev/shm."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(dir=shm if os.access(shm, os.W_OK) else None)


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.suffix.lower() in SUFFIXES)


# ---- warm sides: each an object with pass_(files, out) -> failures, and close() -> peak MB ----


class Exifq:
    """``strip_file`` in a child process (so that its VmHWM is its own), driven by lines."""

    name = "exifq strip_file"

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.strip", "--leg", "serve"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def pass_(self, files: list[Path], out: Path) -> int:
        return _drive(self.proc, files, out)

    def close(self) -> float:
        self.proc.stdin.close()
        peak = float(self.proc.stdout.readline())
        self.proc.wait()
        return peak


class Mat2(Exifq):
    name = "mat2 (libmat2)"

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [MAT2_PYTHON, "-c", MAT2_DRIVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def close(self) -> float:
        return super().close() / 1024


class ExifTool:
    name = "ExifTool -stay_open"

    def __init__(self) -> None:
        self.tool = StayOpen()  # Perl start-up and module loading, untimed

    def pass_(self, files: list[Path], out: Path) -> int:
        for index, path in enumerate(files):
            self.tool.run(path, "-m", "-all=", "-o", str(out / f"{index}{path.suffix}"))
        return len(files) - len(list(out.iterdir()))

    def close(self) -> float:
        return self.tool.close()


def _drive(proc: subprocess.Popen, files: list[Path], out: Path) -> int:
    """Send "source<TAB>target" lines, one per file; count the failures answered."""
    for index, path in enumerate(files):
        proc.stdin.write(f"{path}\t{out / f'{index}{path.suffix}'}\n")
    proc.stdin.flush()
    return sum(proc.stdout.readline().strip() != "ok" for _ in files)


def leg_serve() -> None:
    """The exifq side: strip_file for each "source<TAB>target" line; VmHWM at the end."""
    from worker.media.strip.files import strip_file

    for line in sys.stdin:
        source, target = line.rstrip("\n").split("\t")
        try:
            strip_file(source, target)
            print("ok", flush=True)
        except Exception:  # the corpus's truncated files are refused, not written
            print("failed", flush=True)
    print(vmhwm_mb(), flush=True)


def warm(report: Report, title: str, files: list[Path], rounds: int, with_mat2: bool) -> None:
    sides = [Exifq(), ExifTool(), *([Mat2()] if with_mat2 else [])]
    best = {side.name: math.inf for side in sides}
    failed = {}
    for round_ in range(rounds + 1):  # the first pass warms up (imports, caches), untimed
        for side in sides:
            with scratch() as out:
                started = time.perf_counter()
                failed[side.name] = side.pass_(files, Path(out))
                seconds = time.perf_counter() - started
            if round_:
                best[side.name] = min(best[side.name], seconds)
    peaks = {side.name: side.close() for side in sides}
    reference = best["exifq strip_file"]
    size = sum(p.stat().st_size for p in files) / 1e6
    rows = [
        [name, f"{len(files) / seconds:.0f}", f"{size / seconds:.0f}", ms(seconds),
         ratio(seconds, reference), mb(peaks[name]), failed[name]]
        for name, seconds in best.items()
    ]  # fmt: skip
    report.section(
        f"Warm vs warm: {title}, file to file",
        f"{len(files)} files, {size:.1f} MB; best of {rounds} passes after one untimed pass.",
    )
    report.table(
        ["side", "files/s", "MB/s", "pass", "exifq's speed-up", "peak memory", "not written"],
        rows,
    )


def cold(report: Report, title: str, files: list[Path], per_file: int) -> None:
    """One process per file, then one for all (except jpegtran): wall time and peak memory."""
    python = sys.executable
    jpeg_only = all(p.suffix.lower() in (".jpg", ".jpeg") for p in files)
    sample = files[:: max(1, len(files) // per_file)][:per_file]
    one: dict[str, list[Run]] = {}
    with scratch() as folder:
        copies = _copies(files, Path(folder) / "in")  # mat2 writes next to its input
        out = Path(folder) / "out"
        out.mkdir()
        commands: dict[str, Callable[[list[Path]], list[str]]] = {
            "exifq strip --local": lambda fs: [python, "-m", "exifq", "strip", "--local",
                                               *map(str, fs), "-o", str(out)],
            "exiftool -all=": lambda fs: ["exiftool", "-q", "-q", "-m", "-all=",
                                          "-o", f"{out}/%f%-c.%e", *map(str, fs)],
            "mat2": lambda fs: ["mat2", "--no-sandbox", *map(str, fs)],
        }  # fmt: skip
        if jpeg_only:
            commands["jpegtran -copy none"] = lambda fs: [
                "jpegtran", "-copy", "none", "-outfile", str(out / fs[0].name), str(fs[0]),
            ]  # fmt: skip
        for path in sample:
            for name, argv in commands.items():
                _empty(out)
                one.setdefault(name, []).append(run_command(argv([copies[path]]), cwd=REPO))
        batch = {}
        for name, argv in commands.items():
            if name.startswith("jpegtran") or len(files) == 1:
                continue
            _empty(out)
            batch[name] = run_command(argv([copies[p] for p in files]), cwd=REPO)
    exifq = "exifq strip --local"
    rows = [cold_row(name, "one", runs, one[exifq]) for name, runs in one.items()]
    rows += [
        cold_row(name, f"all {len(files)}", [run], [batch[exifq]]) for name, run in batch.items()
    ]
    what = "One process per file" + (
        f" (median over {len(sample)} files), then one process for all files" if batch else ""
    )
    report.section(
        f"Cold vs cold: {title}, whole processes",
        f"{what}; start-up included; wall and CPU (user + system) time; peak: whole-process"
        " VmHWM (GNU time), the largest.",
    )
    report.table(COLD_HEADER, rows)


def _copies(files: list[Path], folder: Path) -> dict[Path, Path]:
    folder.mkdir()
    copies = {}
    for index, path in enumerate(files):
        copies[path] = folder / f"{index}-{path.name}"
        shutil.copyfile(path, copies[path])
    return copies


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def large_jpeg(megapixels: int) -> bytes:
    """A camera-sized JPEG: noise over colour gradients (real entropy), EXIF with GPS, and XMP."""
    import numpy as np
    from PIL import Image

    width = int(math.sqrt(megapixels * 1e6 * 3 / 2))
    height = width * 2 // 3
    x, y = np.meshgrid(np.linspace(0, 6, width), np.linspace(0, 4, height))
    base = np.stack([np.sin(x + y), np.cos(x * 1.3), np.sin(y * 2.1 - x)], axis=-1) * 90 + 128
    noise = np.random.default_rng(1).normal(0, 12, base.shape)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS 5D", 6
    exif[0x8825] = {1: "N", 2: (55.0, 37.0, 12.0), 3: "E", 4: (37.0, 39.0, 46.0)}
    exif[0x8769] = {0x9003: "2024:05:01 10:00:00", 0xA431: "123456789"}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b" " * 20000 + b"</x:xmpmeta>"
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=92, exif=exif.tobytes(), xmp=xmp)
    return buffer.getvalue()


def in_memory(report: Report, path: Path, rounds: int) -> None:
    """exifq ``strip_metadata`` bytes to bytes: no peer works in memory, so no ratio."""
    from worker.media.strip import strip_metadata

    data = path.read_bytes()
    best = min(_timed(lambda: strip_metadata(data)) for _ in range(max(rounds, 5)))
    report.note(
        f"In memory (no peer does this; not comparable with the rows above): exifq"
        f" `strip_metadata` on the same {len(data) / 1e6:.1f} MB JPEG, bytes to bytes:"
        f" {ms(best)} ({len(data) / 1e6 / best:.0f} MB/s), best of {max(rounds, 5)}.\n"
    )


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--corpus", type=Path, help="default: the shared corpus")
    cli.add_argument("--rounds", type=int, default=3)
    cli.add_argument("--megapixels", type=int, default=24)
    cli.add_argument("--cold-files", type=int, default=12, help="files run one process each")
    args = cli.parse_args(argv)
    if args.leg == "serve":
        leg_serve()
        return
    command = " ".join(["python -m bench.strip", *(sys.argv[1:] if argv is None else argv)])
    report = Report("strip", "Metadata removal: exifq beside ExifTool, jpegtran and mat2", command)
    start(report)
    files = corpus_files(args.corpus or find_corpus(None))
    jpegs = [p for p in files if p.suffix.lower() in (".jpg", ".jpeg")]
    warm(report, "corpus JPEGs", jpegs, args.rounds, with_mat2=True)
    cold(report, "corpus JPEGs", jpegs, args.cold_files)
    warm(report, "every corpus file (exifq and ExifTool)", files, args.rounds, with_mat2=False)
    with tempfile.TemporaryDirectory() as folder:
        large = Path(folder) / "large.jpg"
        large.write_bytes(large_jpeg(args.megapixels))
        title = f"one {args.megapixels} MP JPEG"
        warm(report, title, [large], args.rounds, with_mat2=True)
        cold(report, title, [large], 1)
        in_memory(report, large, args.rounds)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
