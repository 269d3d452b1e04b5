"""Strip benchmark: exifq beside ExifTool and a Pillow re-save, in the same run.

    python -m bench.strip [--corpus DIR] [--rounds 3] [--megapixels 24]

1. Corpus JPEGs, file to file (read, strip, write), warm: exifq
   ``strip_file`` (and ``strip_metadata`` with ``read_bytes``/``write_bytes``)
   in a loop against ExifTool ``-all=`` fed file by file through one
   ``-stay_open`` process (Perl start-up excluded) — a service's steady
   state; and the floor of ``strip_file``'s I/O (open, read or mmap, write a
   temporary file, rename) with no strip at all.
2. The same files cold, one command for all of them, start-up included:
   ``python -m exifq.cli strip --local FILES -o DIR`` against
   ``exiftool -all= -o DIR FILES``.
3. What a naive service does instead: Pillow open and re-save at quality 95,
   its time and the pixel error it causes (exifq changes no pixel).
4. Every corpus format, warm, exifq against ExifTool.
5. One large JPEG the bench generates (noise over gradients, camera-like
   EXIF, GPS and XMP): exifq in memory, then each contender file to file.

Every contender runs in its own child process and reports its peak RSS
(``VmHWM``); timings are the best of ``--rounds``. Outputs go to ``/dev/shm``
when it exists, for both sides alike, so that disk noise on a shared machine
does not drown what the tools themselves cost. Read the ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.extract import find_corpus

REPO = Path(__file__).resolve().parent.parent
SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif"}


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no images under {corpus}: pass --corpus or set EXIFQ_CORPUS")
    return files


def scratch() -> tempfile.TemporaryDirectory:
    """A fresh output folder, in RAM when the machine has /dev/shm."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(dir=shm if os.access(shm, os.W_OK) else None)


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (Linux ``VmHWM``; unlike ``ru_maxrss`` not inherited across exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def best_of(rounds: int, run: Callable[[Path], int]) -> tuple[float, int]:
    """The fastest of ``rounds`` runs of ``run(output folder)``, and the failures it counted."""
    best, failed = math.inf, 0
    for _ in range(rounds):
        with scratch() as out:
            start = time.perf_counter()
            failed = run(Path(out))
            best = min(best, time.perf_counter() - start)
    return best, failed


# --- legs: each runs in a child process and prints one JSON object -------------------------


def leg_exifq(files: list[Path], rounds: int) -> dict:
    """Read, strip (default keep), write, file by file in one warm process."""
    from worker.media.strip import strip_metadata

    def run(out: Path) -> int:
        failed = 0
        for index, path in enumerate(files):
            try:
                cleaned = strip_metadata(path.read_bytes()).data
            except Exception:  # the corpus's truncated files are refused, not written
                failed += 1
                continue
            (out / f"{index}{path.suffix}").write_bytes(cleaned)
        return failed

    seconds, failed = best_of(rounds, run)
    return {"seconds": seconds, "failed": failed}


def leg_exifq_files(files: list[Path], rounds: int) -> dict:
    """``strip_file`` (read or mmap, writev, rename), file by file in one warm process."""
    from worker.media.strip.files import strip_file

    def run(out: Path) -> int:
        failed = 0
        for index, path in enumerate(files):
            try:
                strip_file(path, out / f"{index}{path.suffix}")
            except Exception:  # the corpus's truncated files are refused, not written
                failed += 1
        return failed

    seconds, failed = best_of(rounds, run)
    return {"seconds": seconds, "failed": failed}


def leg_floor(files: list[Path], rounds: int) -> dict:
    """``strip_file``'s I/O alone: open, read or mmap, write a temporary file, rename; no strip."""
    from worker.media.strip.files import _contents, _write_whole

    def run(out: Path) -> int:
        for index, path in enumerate(files):
            with open(path, "rb", buffering=0) as source, _contents(source) as data:
                pieces = [memoryview(data)]
                _write_whole(str(out / f"{index}{path.suffix}"), pieces)
                del pieces
        return 0

    seconds, failed = best_of(rounds, run)
    return {"seconds": seconds, "failed": failed}


def leg_exiftool(files: list[Path], rounds: int) -> dict:
    """``exiftool -all= -o OUT FILE`` per file through one warm ``-stay_open`` process."""
    proc = subprocess.Popen(
        ["exiftool", "-stay_open", "True", "-@", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )

    def command(*args: str) -> None:
        proc.stdin.write("\n".join([*args, "-execute", ""]))
        proc.stdin.flush()
        while (line := proc.stdout.readline()) and not line.startswith("{ready"):
            pass

    def run(out: Path) -> int:
        for index, path in enumerate(files):  # -q would also silence {ready}
            command("-m", "-all=", "-o", str(out / f"{index}{path.suffix}"), str(path))
        return len(files) - len(list(out.iterdir()))

    command("-ver")  # Perl start-up and module loading, not timed
    seconds, failed = best_of(rounds, run)
    rss = peak_rss_mb(proc.pid)
    proc.stdin.write("-stay_open\nFalse\n")
    proc.stdin.close()  # with False, ExifTool reads its argument file to the end, then exits
    proc.wait()
    return {"seconds": seconds, "failed": failed, "child_rss_mb": rss}


def _timed_command(argv: list[str], rounds: int, out_arg: Callable[[Path], list[str]]) -> dict:
    """Best time of a whole command over the files (start-up included) and its peak RSS."""
    rss = 0.0

    def run(out: Path) -> int:
        nonlocal rss
        proc = subprocess.Popen([*argv, *out_arg(out)], cwd=REPO, stdout=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        rss = max(rss, usage.ru_maxrss / 1024)
        return 0

    seconds, _ = best_of(rounds, run)
    return {"seconds": seconds, "failed": 0, "child_rss_mb": rss}


def leg_exifq_cli(files: list[Path], rounds: int) -> dict:
    argv = [sys.executable, "-m", "exifq.cli", "strip", "--local", *map(str, files)]
    return _timed_command(argv, rounds, lambda out: ["-o", str(out)])


def leg_exiftool_cli(files: list[Path], rounds: int) -> dict:
    argv = ["exiftool", "-q", "-q", "-m", "-all=", *map(str, files)]
    return _timed_command(argv, rounds, lambda out: ["-o", f"{out}/%f%-c.%e"])


def leg_pillow(files: list[Path], rounds: int) -> dict:
    """Open and re-save at quality 95, then the pixel error that re-encoding caused."""
    import numpy as np
    from PIL import Image

    def run(out: Path) -> int:
        failed = 0
        for index, path in enumerate(files):
            try:
                with Image.open(path) as image:
                    image.save(out / f"{index}.jpg", quality=95)
            except Exception:
                failed += 1
        return failed

    seconds, failed = best_of(rounds, run)
    worst, psnrs = 0, []
    with scratch() as out:
        run(Path(out))
        for index, path in enumerate(files):
            if not (Path(out) / f"{index}.jpg").exists():
                continue
            with Image.open(path) as a, Image.open(Path(out) / f"{index}.jpg") as b:
                diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
            worst = max(worst, int(diff.max()))
            mse = float(np.mean(diff.astype(np.float64) ** 2))
            psnrs.append(10 * math.log10(255**2 / mse) if mse else math.inf)
    finite = [p for p in psnrs if math.isfinite(p)]
    return {
        "seconds": seconds,
        "failed": failed,
        "max_abs_diff": worst,
        "psnr_min": min(finite, default=math.inf),
        "psnr_mean": sum(finite) / len(finite) if finite else math.inf,
    }


def leg_memory(files: list[Path], rounds: int) -> dict:
    """exifq on one file, bytes in memory to bytes in memory."""
    from worker.media.strip import strip_metadata

    data = files[0].read_bytes()
    best = math.inf
    for _ in range(max(rounds, 10)):
        start = time.perf_counter()
        strip_metadata(data)
        best = min(best, time.perf_counter() - start)
    return {"seconds": best, "failed": 0}


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


LEGS = {
    "exifq": leg_exifq,
    "exifq-files": leg_exifq_files,
    "floor": leg_floor,
    "exiftool": leg_exiftool,
    "exifq-cli": leg_exifq_cli,
    "exiftool-cli": leg_exiftool_cli,
    "pillow": leg_pillow,
    "memory": leg_memory,
}


def child(leg: str, files: list[Path], rounds: int) -> dict:
    """Run one leg in a fresh interpreter: its result and its own peak RSS."""
    command = [sys.executable, "-m", "bench.strip", "--leg", leg, "--rounds", str(rounds)]
    proc = subprocess.run(
        [*command, "--", *map(str, files)], cwd=REPO, capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    return {**result, "rss_mb": result.get("child_rss_mb", result["rss_mb"])}


# --- the report --------------------------------------------------------------------------

HEADER = f"  {'':26}{'files/s':>9}{'MB/s':>9}{'ms':>10}{'vs ExifTool':>13}{'peak RSS':>10}"


def row(name: str, count: int, megabytes: float, leg: dict, reference: dict, note: str = "") -> str:
    """One contender's throughput, total time, speed against ``reference`` and memory."""
    seconds = leg["seconds"]
    return (
        f"  {name:26}{count / seconds:9.0f}{megabytes / seconds:9.1f}{seconds * 1000:10.1f}"
        f"{reference['seconds'] / seconds:12.1f}x{leg['rss_mb']:7.0f} MB  {note}"
    )


def corpus_report(title: str, files: list[Path], rounds: int, cold: bool) -> None:
    """Sections 1-4 for ``files``: warm (and cold, with Pillow) against ExifTool."""
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    count = len(files)
    print(f"\n{title}: {count} files, {megabytes:.1f} MB, file to file, best of {rounds}")
    print(HEADER)
    ours, tool = child("exifq", files, rounds), child("exiftool", files, rounds)
    by_file, floor = child("exifq-files", files, rounds), child("floor", files, rounds)
    print(row("exifq strip_file", count, megabytes, by_file, tool, f"{by_file['failed']} refused"))
    print(row("exifq strip_metadata", count, megabytes, ours, tool, f"{ours['failed']} refused"))
    print(row("ExifTool -stay_open", count, megabytes, tool, tool, f"{tool['failed']} not written"))
    print(row("I/O floor, no strip", count, megabytes, floor, tool))
    per_file = {
        name: leg["seconds"] / count * 1e6
        for name, leg in (("ours", by_file), ("floor", floor), ("tool", tool))
    }
    print(
        f"  per file: strip_file {per_file['ours']:.0f} us (I/O floor {per_file['floor']:.0f} us),"
        f" ExifTool {per_file['tool']:.0f} us"
    )
    if not cold:
        return
    ours_cold, tool_cold = child("exifq-cli", files, rounds), child("exiftool-cli", files, rounds)
    print(row("exifq strip --local (cold)", count, megabytes, ours_cold, tool_cold))
    print(row("exiftool -all= (cold)", count, megabytes, tool_cold, tool_cold))
    pil = child("pillow", files, rounds)
    print(row("Pillow re-save q95", count, megabytes, pil, tool, f"{pil['failed']} failed"))
    print(
        f"  Pillow's re-save changes pixels: max |diff| {pil['max_abs_diff']} levels, PSNR min "
        f"{pil['psnr_min']:.1f} dB, mean {pil['psnr_mean']:.1f} dB (exifq: identical pixels)"
    )


def large_report(megapixels: int, rounds: int) -> None:
    """Section 5: one camera-sized JPEG."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.jpg"
        path.write_bytes(large_jpeg(megapixels))
        megabytes = path.stat().st_size / 1e6
        memory = child("memory", [path], rounds)
        ours, tool = child("exifq", [path], rounds), child("exiftool", [path], rounds)
        by_file, floor = child("exifq-files", [path], rounds), child("floor", [path], rounds)
        pil = child("pillow", [path], 1)
    print(f"\n{megapixels} MP JPEG, {megabytes:.1f} MB")
    print(HEADER)
    print(row("exifq in memory", 1, megabytes, memory, tool))
    print(row("exifq strip_file", 1, megabytes, by_file, tool))
    print(row("exifq strip_metadata + I/O", 1, megabytes, ours, tool))
    print(row("ExifTool -stay_open", 1, megabytes, tool, tool))
    print(row("I/O floor, no strip", 1, megabytes, floor, tool))
    print(row("Pillow re-save q95", 1, megabytes, pil, tool))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="default: the shared corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--megapixels", type=int, default=24)
    parser.add_argument("--leg", choices=LEGS, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.leg:
        result = LEGS[args.leg](args.files, args.rounds)
        print(json.dumps({**result, "rss_mb": peak_rss_mb()}))
        return 0
    files = corpus_files(args.corpus or find_corpus(None))
    jpegs = [p for p in files if p.suffix.lower() in (".jpg", ".jpeg")]
    corpus_report("Corpus JPEGs", jpegs, args.rounds, cold=True)
    corpus_report("Every corpus format", files, args.rounds, cold=False)
    large_report(args.megapixels, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
