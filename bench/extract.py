"""Benchmark: exifq extraction vs ExifTool over the shared corpus, plus peak memory at 100 MP.

Run from the repository root::

    python -m bench.extract [--rounds 5] [--corpus DIR]

In one run, over every corpus file held in memory:

1. exifq, metadata only (``pixels=False``) - best of ``--rounds`` passes;
2. exifq with pHash and colours (``pixels=True``) - one pass;
3. ExifTool in one batch process (``exiftool -j -G1 -n -@ list``, like the
   reference output), wall clock including its start-up - best of 2 runs; and
   ``-fast`` for information.

It prints files/s for each and the ratios, then the peak RSS (VmHWM) of a fresh
process that extracts the metadata of a generated 10000x10000 JPEG (with EXIF)
without decoding it, next to the RSS of a process that only imports exifq.
Targets (issue 2): metadata-only >= 5x ExifTool's batch throughput; < 60 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIG_SIDE = 10_000

_RSS_SCRIPT = """
import sys
from worker.media.extract import engine, extract_metadata
engine.use_exiftool(sys.argv[1], sys.argv[2])  # where ExifTool and its tables are
data = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
if data is not None:
    meta = extract_metadata(data, "big.jpg", pixels=False)
    assert meta["image"]["width"] == {side} and meta["exif"]["image"]["Make"] == "exifq-bench"
status = open("/proc/self/status").read()
print(int(status.split("VmHWM:")[1].split()[0]) / 1024)
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


def use_tables() -> None:
    """Extraction reads the tables built from the installed ExifTool (built if missing)."""
    from common.settings import load_settings
    from worker.media.extract import engine

    settings = load_settings()
    engine.use_exiftool(settings.exiftool, settings.tables_dir, eager=True)


def ours(files: list[tuple[str, bytes]], *, pixels: bool) -> tuple[float, int]:
    from common.errors import ExifqError
    from worker.media.extract import extract_metadata

    errors = 0
    start = time.perf_counter()
    for name, data in files:
        try:
            extract_metadata(data, name, pixels=pixels)
        except ExifqError:
            errors += 1
    return time.perf_counter() - start, errors


def exiftool(corpus: Path, paths: list[str], *extra: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths))
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            ["exiftool", "-j", "-G1", "-n", *extra, "-@", listing.name],
            cwd=corpus,
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
    finally:
        os.unlink(listing.name)
    if not proc.stdout.startswith(b"["):
        sys.exit(f"exiftool failed: {proc.stderr.decode(errors='replace')}")
    return elapsed


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
exif[0x0132] = "2024:01:01 12:00:00"
image.save(sys.argv[1], "JPEG", quality=15, exif=exif.tobytes())
"""


def make_big_jpeg(path: Path) -> int:
    """A 10000x10000 baseline JPEG at low quality with an EXIF block; returns its size.

    Made in a child process so the 300 MB canvas never inflates this one (whose
    peak RSS later children would otherwise inherit in ``ru_maxrss``).
    """
    subprocess.run([sys.executable, "-c", _MAKE_BIG.format(side=BIG_SIDE), str(path)], check=True)
    return path.stat().st_size


def peak_rss(big: Path | None) -> float:
    """VmHWM (MB) of a fresh process extracting ``big`` (or only importing exifq).

    VmHWM is per address space and starts afresh at exec; ``ru_maxrss`` is not used
    because Linux carries a parent's peak over into its children's.
    """
    from common.settings import load_settings

    settings = load_settings()
    args = [sys.executable, "-c", _RSS_SCRIPT.format(side=BIG_SIDE)]
    args += [str(settings.exiftool), str(settings.tables_dir)]
    if big is not None:
        args.append(str(big))
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True)
    return float(proc.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="metadata-only passes (best kept)")
    parser.add_argument("--corpus", help="corpus folder (default: ../shared/corpus)")
    args = parser.parse_args(argv)
    if shutil.which("exiftool") is None:
        sys.exit("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    warnings.simplefilter("ignore")
    corpus = find_corpus(args.corpus)
    paths = [row["path"] for row in json.loads((corpus / "manifest.json").read_text())]
    files = [(Path(p).name, (corpus / p).read_bytes()) for p in paths]
    n = len(files)
    total_mb = sum(len(d) for _, d in files) / 2**20
    print(f"corpus: {n} files, {total_mb:.1f} MiB, {corpus}")

    use_tables()
    ours(files, pixels=False)  # warm-up: imports
    meta_times = [ours(files, pixels=False)[0] for _ in range(args.rounds)]
    meta = min(meta_times)
    pix, pix_errors = ours(files, pixels=True)
    et = min(exiftool(corpus, paths) for _ in range(2))
    et_fast = exiftool(corpus, paths, "-fast")

    rows = [
        ("exifq metadata only", meta),
        ("exifq + pHash + colours", pix),
        ("exiftool -j -G1 -n (batch)", et),
        ("exiftool -fast (batch)", et_fast),
    ]
    print(f"\n{'':28s} {'files/s':>9s} {'ms/file':>8s} {'vs exiftool':>12s}")
    for label, seconds in rows:
        print(f"{label:28s} {n / seconds:9.1f} {1000 * seconds / n:8.2f} {et / seconds:11.2f}x")
    print(
        f"(metadata-only passes: {', '.join(f'{n / t:.0f}' for t in meta_times)} files/s; "
        f"{pix_errors} files with undecodable pixels counted as processed)"
    )
    ratio = et / meta
    print(
        f"\nmetadata-only throughput vs ExifTool batch: {ratio:.1f}x (target >= 5x) "
        f"{'OK' if ratio >= 5 else 'BELOW TARGET'}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.jpg"
        size = make_big_jpeg(big)
        base_hwm = peak_rss(None)
        hwm = peak_rss(big)
    big_mb = size / 2**20
    print(f"\n100 MP JPEG ({BIG_SIDE}x{BIG_SIDE}, {big_mb:.1f} MiB), metadata only, fresh process:")
    print(f"  peak RSS (VmHWM) {hwm:.1f} MB; importing exifq alone: {base_hwm:.1f} MB")
    print(f"  target < 60 MB: {'OK' if hwm < 60 else 'ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
