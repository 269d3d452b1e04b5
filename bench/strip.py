"""Strip benchmark: exifq against ExifTool and a Pillow re-save, side by side in one run.

    python -m bench.strip [--corpus DIR] [--rounds 3] [--megapixels 24]

Over the corpus, file to file (read, strip, write): exifq ``strip_metadata``
with the default keep; ExifTool ``-all=`` in one ``-stay_open`` process (its
batch mode, Perl start-up excluded); and what a naive service does — Pillow
open and re-save at quality 95 (JPEG only), with the pixel error it causes.
Then in memory on a large JPEG the bench generates (noise over gradients,
camera-like EXIF and XMP). Each contender runs in its own child process so its
peak RSS can be reported; each timing is the best of ``--rounds``. The machine
is shared, so only the ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif"}


def find_corpus() -> Path:
    """The shared corpus, where ``tests/conftest.py`` looks for it."""
    for candidate in (os.environ.get("EXIFQ_CORPUS"), REPO.parent.parent / "shared" / "corpus"):
        if candidate and (Path(candidate) / "manifest.json").is_file():
            return Path(candidate)
    return Path("/work/shared/corpus")


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no images under {corpus}: pass --corpus or set EXIFQ_CORPUS")
    return files


def is_jpeg(path: Path) -> bool:
    return path.suffix.lower() in (".jpg", ".jpeg")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- legs: each runs in a child process and prints one JSON object -------------------------


def leg_exifq(files: list[Path], rounds: int) -> dict:
    from worker.media.strip import strip_metadata

    best, failed = math.inf, 0
    with tempfile.TemporaryDirectory() as out:
        for _ in range(rounds):
            failed = 0
            start = time.perf_counter()
            for index, path in enumerate(files):
                try:
                    cleaned = strip_metadata(path.read_bytes()).data
                except Exception:  # corrupt corpus files: counted, not written
                    failed += 1
                    continue
                (Path(out) / f"{index}{path.suffix}").write_bytes(cleaned)
            best = min(best, time.perf_counter() - start)
    return {"seconds": best, "failed": failed}


def leg_exiftool(files: list[Path], rounds: int) -> dict:
    """``exiftool -all= -o OUT FILE`` per file through one ``-stay_open`` process."""
    proc = subprocess.Popen(
        ["exiftool", "-stay_open", "True", "-@", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )

    def run(*args: str) -> str:
        proc.stdin.write("\n".join([*args, "-execute", ""]))
        proc.stdin.flush()
        lines = []
        while (line := proc.stdout.readline()) and not line.startswith("{ready"):
            lines.append(line)
        return "".join(lines)

    run("-ver")  # Perl start-up and module loading, not timed
    best, failed = math.inf, 0
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as out:
            failed = 0
            start = time.perf_counter()
            for index, path in enumerate(files):
                target = Path(out) / f"{index}{path.suffix}"
                run("-q", "-q", "-m", "-all=", "-o", str(target), str(path))
                failed += not target.exists()
            best = min(best, time.perf_counter() - start)
    proc.stdin.write("-stay_open\nFalse\n")
    proc.stdin.close()  # with False, ExifTool reads the argument file to its end, then exits
    proc.wait()
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": best, "failed": failed, "child_rss_mb": rss}


def leg_pillow(files: list[Path], rounds: int) -> dict:
    """Open and re-save at quality 95 (JPEG), then the pixel error that re-encoding caused."""
    import numpy as np
    from PIL import Image

    best, failed = math.inf, 0
    with tempfile.TemporaryDirectory() as out:
        for _ in range(rounds):
            failed = 0
            start = time.perf_counter()
            for index, path in enumerate(files):
                try:
                    with Image.open(path) as image:
                        image.save(Path(out) / f"{index}.jpg", quality=95)
                except Exception:
                    failed += 1
            best = min(best, time.perf_counter() - start)
        worst, psnrs = 0, []
        for index, path in enumerate(files):
            target = Path(out) / f"{index}.jpg"
            if not target.exists():
                continue
            with Image.open(path) as a, Image.open(target) as b:
                x, y = np.asarray(a, dtype=np.int16), np.asarray(b, dtype=np.int16)
            diff = np.abs(x - y)
            worst = max(worst, int(diff.max()))
            mse = float(np.mean(diff.astype(np.float64) ** 2))
            psnrs.append(math.inf if mse == 0 else 10 * math.log10(255**2 / mse))
    finite = [p for p in psnrs if math.isfinite(p)]
    return {
        "seconds": best,
        "failed": failed,
        "max_abs_diff": worst,
        "psnr_min": min(finite, default=math.inf),
        "psnr_mean": sum(finite) / len(finite) if finite else math.inf,
    }


def big_jpeg(megapixels: int) -> bytes:
    """A camera-sized JPEG: noise over colour gradients (real entropy), EXIF with GPS, and XMP."""
    import numpy as np
    from PIL import Image

    width = int(math.sqrt(megapixels * 1e6 * 3 / 2))
    height = width * 2 // 3
    rng = np.random.default_rng(1)
    x, y = np.meshgrid(np.linspace(0, 6, width), np.linspace(0, 4, height))
    base = np.stack([np.sin(x + y), np.cos(x * 1.3), np.sin(y * 2.1 - x)], axis=-1) * 90 + 128
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS 5D", 6
    exif[0x8825] = {1: "N", 2: (55.0, 37.0, 12.0), 3: "E", 4: (37.0, 39.0, 46.0)}
    exif[0x8769] = {0x9003: "2024:05:01 10:00:00", 0xA431: "123456789"}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b" " * 20000 + b"</x:xmpmeta>"
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=92, exif=exif.tobytes(), xmp=xmp)
    return buffer.getvalue()


def leg_memory(path: Path, rounds: int) -> dict:
    """exifq on the big JPEG, bytes in memory to bytes in memory."""
    from worker.media.strip import strip_metadata

    data = path.read_bytes()
    repeats = max(rounds, 10)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        strip_metadata(data)
        best = min(best, time.perf_counter() - start)
    return {"seconds": best}


LEGS = {
    "exifq": leg_exifq,
    "exiftool": leg_exiftool,
    "pillow": leg_pillow,
    "memory": lambda files, rounds: leg_memory(files[0], rounds),
}


def child(leg: str, files: list[Path], rounds: int) -> dict:
    """Run one leg in a fresh interpreter; its result plus its own peak RSS."""
    command = [sys.executable, "-m", "bench.strip", "--leg", leg, "--rounds", str(rounds)]
    proc = subprocess.run(
        [*command, "--", *map(str, files)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


# --- the report --------------------------------------------------------------------------

HEADER = f"  {'':20}{'files/s':>9}{'MB/s':>9}{'ms':>10}{'speed-up':>10}{'peak RSS':>10}"


def row(
    name: str, count: int, megabytes: float, leg: dict, reference: float, note: str = ""
) -> str:
    """One contender: throughput, total time, speed relative to ``reference`` seconds, memory."""
    seconds = leg["seconds"]
    rss = leg.get("child_rss_mb", leg["rss_mb"])
    return (
        f"  {name:20}{count / seconds:9.0f}{megabytes / seconds:9.1f}{seconds * 1000:10.1f}"
        f"{reference / seconds:9.1f}x{rss:7.0f} MB  {note}"
    )


def compare(title: str, files: list[Path], rounds: int, with_pillow: bool) -> None:
    """exifq, ExifTool (and Pillow) over ``files``, file to file; speed-up is against ExifTool."""
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    ours, tool = child("exifq", files, rounds), child("exiftool", files, rounds)
    print(f"\n{title}: {len(files)} files, {megabytes:.1f} MB, file to file, best of {rounds}")
    print(HEADER)
    base = tool["seconds"]
    print(row("exifq strip", len(files), megabytes, ours, base, f"{ours['failed']} refused"))
    print(row("ExifTool -all=", len(files), megabytes, tool, base, f"{tool['failed']} not written"))
    if with_pillow:
        pil = child("pillow", files, rounds)
        print(
            row("Pillow re-save q95", len(files), megabytes, pil, base, f"{pil['failed']} failed")
        )
        print(
            f"  Pillow re-save pixel error: max |diff| {pil['max_abs_diff']} levels, PSNR min "
            f"{pil['psnr_min']:.1f} dB, mean {pil['psnr_mean']:.1f} dB; exifq: identical pixels"
        )


def large(megapixels: int, rounds: int) -> None:
    """One camera-sized JPEG: exifq in memory, then all three file to file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.jpg"
        path.write_bytes(big_jpeg(megapixels))
        megabytes = path.stat().st_size / 1e6
        memory = child("memory", [path], rounds)
        legs = {
            "exifq file to file": child("exifq", [path], rounds),
            "ExifTool -all=": child("exiftool", [path], rounds),
            "Pillow re-save q95": child("pillow", [path], 1),
        }
    print(f"\n{megapixels} MP JPEG, {megabytes:.1f} MB; speed-up is against ExifTool")
    print(HEADER)
    base = legs["ExifTool -all="]["seconds"]
    print(row("exifq in memory", 1, megabytes, memory, base))
    for name, leg in legs.items():
        print(row(name, 1, megabytes, leg, base))


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
    files = corpus_files(args.corpus or find_corpus())
    jpegs = [p for p in files if is_jpeg(p)]
    compare("JPEG", jpegs, args.rounds, with_pillow=True)
    compare("All formats", files, args.rounds, with_pillow=False)
    large(args.megapixels, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
