"""Benchmark: video metadata vs ExifTool and ffprobe, video strip vs ffmpeg's remux.

Run from the repository root::

    python -m bench.video [--copies 25] [--seconds 20]

In one run, on the videos the tests build (``tests/support/videos.py``: MOV, MP4,
fragmented MP4, 3GP, WebM, MKV, AVI with metadata), each copied ``--copies`` times:

* metadata, warm (files/s by wall clock and by CPU time, which the load of a shared machine
  does not change): exifq in-process (``extract_video``, hashes included) after a warm-up
  pass, best of 3; ExifTool in one batch process (``exiftool -j -G1 -n -@ list``,
  start-up included, best of 2) and its marginal cost per file (batch of N minus batch
  of 1); ffprobe, one process per file (it has no batch mode).
* metadata, cold: a fresh process per file for each tool (``python -c`` importing exifq,
  ``exiftool -j``, ``ffprobe``), over ``--cold`` files; the page cache is warm in both
  (cold means a cold process, not a cold disk).
* strip: a ``--seconds`` 1280x720 H.264+AAC MP4 written by ffmpeg, loaded with metadata
  by ExifTool (which puts ``moov`` first: the strip must move the chunk offsets), and the
  same streams in MKV: exifq's ``strip_video`` vs ``ffmpeg -map 0 -map_metadata -1 -c
  copy``, MB/s of input, best of 3, and each side's peak RSS (VmHWM of a fresh exifq
  process; ``ru_maxrss`` of ffmpeg under a small launcher).

Targets (issue 13): metadata >= 3x ExifTool's batch throughput; strip >= ffmpeg's remux.
``uptime`` is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.videos import APPLE_KEYS, build_videos  # noqa: E402

_COLD = (
    "import sys; from worker.media.extract import engine; "
    "engine.use_exiftool(sys.argv[1], sys.argv[2]); "
    "from worker.media.video import extract_video; extract_video(sys.argv[3], 'x')"
)
_HWM = """
import sys
from worker.media.extract import engine
from worker.media.video import extract_video, strip_video
engine.use_exiftool(sys.argv[3], sys.argv[4])
extract_video(sys.argv[1], "big")
strip_video(sys.argv[1], sys.argv[2])
print(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024)
"""
_MAXRSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_cpu(call) -> tuple[float, float]:
    """(wall, CPU) seconds of ``call``: CPU time does not grow with the machine's load."""
    cpu = cpu_seconds()
    wall = timed(call)
    return wall, cpu_seconds() - cpu


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def tables_args() -> list[str]:
    """Where ExifTool's library and its tables are (from the settings, found once here), for
    the fresh exifq processes: they then measure the extractor, not finding ExifTool (a Perl
    start when ``EXIFTOOL`` names the program) or the settings."""
    from common.settings import load_settings
    from worker.media.extract import engine
    from worker.media.extract.codegen.exiftool import locate

    settings = load_settings()
    found = locate(settings.exiftool)
    engine.use_exiftool(found.lib, settings.tables_dir, eager=True)  # (built if missing)
    return [str(found.lib), str(settings.tables_dir)]


def ours_warm(files: list[Path]) -> tuple[float, float]:
    from worker.media.video import extract_video

    def loop() -> None:
        for path in files:
            extract_video(path, path.name)

    loop()  # warm-up: imports, tables, FFmpeg's libraries
    return min(timed_cpu(loop) for _ in range(3))


def exiftool_batch(files: list[Path]) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(map(str, files)))
    try:
        return timed_cpu(lambda: run("exiftool", "-j", "-G1", "-n", "-@", listing.name))
    finally:
        os.unlink(listing.name)


def per_process(command: list[str], files: list[Path]) -> tuple[float, float]:
    return timed_cpu(lambda: [run(*command, path) for path in files])


def _table(rows: list[tuple[str, tuple[float, float]]], n: int, ours: tuple[float, float]) -> None:
    for label, (wall, cpu) in rows:
        print(f"{label:34s} {n / wall:9.1f} {n / cpu:9.1f} {wall / ours[0]:8.2f}x "
              f"{cpu / ours[1]:6.2f}x")  # fmt: skip


def make_big(folder: Path, seconds: int) -> tuple[Path, Path]:
    mp4, mkv = folder / "big.mp4", folder / "big.mkv"
    run(
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-c:a", "aac", mp4,
    )  # fmt: skip
    run("exiftool", "-q", "-m", "-overwrite_original", *APPLE_KEYS, mp4)
    run(
        "ffmpeg", "-v", "error", "-y", "-i", mp4, "-map", "0", "-c", "copy",
        "-metadata", "title=Holiday", "-metadata", "location=+48.8584+002.2945/", mkv,
    )  # fmt: skip
    return mp4, mkv


def strip_speeds(big: Path, out: Path, tables: list[str]) -> tuple[float, float, float, float]:
    """(exifq seconds, ffmpeg seconds, exifq VmHWM MB, ffmpeg max RSS MB), best of 3."""
    from worker.media.video import strip_video

    strip_video(big, out)  # warm-up (and the page cache)
    ours = min(timed(lambda: strip_video(big, out)) for _ in range(3))
    remux = [
        "ffmpeg", "-v", "error", "-y", "-i", str(big), "-map", "0", "-map_metadata", "-1",
        "-c", "copy", str(out.with_name("ffmpeg-" + out.name)),
    ]  # fmt: skip
    theirs = min(timed(lambda: run(*remux)) for _ in range(3))
    hwm = subprocess.run(
        [sys.executable, "-c", _HWM, str(big), str(out), *tables],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rss = subprocess.run(
        [sys.executable, "-S", "-c", _MAXRSS, *remux], capture_output=True, text=True, check=True
    ).stdout
    return ours, theirs, float(hwm), float(rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=25, help="copies of each test video")
    parser.add_argument("--cold", type=int, default=16, help="files for the cold comparison")
    parser.add_argument("--seconds", type=int, default=20, help="length of the strip video")
    args = parser.parse_args(argv)
    for tool in ("exiftool", "ffprobe", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (tests/run.sh installs it)")
    print("before:", uptime())
    tables = tables_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = build_videos(folder / "videos")
        files = []
        for index in range(args.copies):
            for name, path in originals.items():
                copy = folder / "copies" / f"{index}-{name}"
                copy.parent.mkdir(exist_ok=True)
                shutil.copy(path, copy)
                files.append(copy)
        n = len(files)
        print(f"\nmetadata: {n} files ({len(originals)} kinds x {args.copies}), "
              f"{sum(f.stat().st_size for f in files) / 2**20:.1f} MiB")  # fmt: skip
        ours = ours_warm(files)
        batch = min(exiftool_batch(files) for _ in range(2))
        single = min(exiftool_batch(files[:1]) for _ in range(2))
        marginal = tuple((b - s) / (n - 1) * n for b, s in zip(batch, single, strict=True))
        probe = per_process(["ffprobe", "-v", "error", "-show_format", "-show_streams"], files)
        header = f"{'wall':>9s} {'cpu':>9s} {'exifq is':>9s} {'(cpu)':>7s}"
        print(f"{'warm (files/s)':34s} {header}")
        rows = [
            ("exifq extract_video (in-process)", ours),
            ("exiftool -j -G1 -n (one batch)", batch),
            ("exiftool, marginal per file", marginal),
            ("ffprobe (a process per file)", probe),
        ]
        _table(rows, n, ours)
        cold_files = files[: args.cold]
        k = len(cold_files)
        commands = [
            ("exifq (python -c, fresh process)", [sys.executable, "-c", _COLD, *tables]),
            ("exiftool -j (fresh process)", ["exiftool", "-j", "-G1", "-n"]),
            ("ffprobe (fresh process)", ["ffprobe", "-v", "error", "-show_streams"]),
        ]
        cold = [(label, per_process(command, cold_files)) for label, command in commands]
        print(f"\n{f'cold ({k} files, files/s)':34s} {header}")
        _table(cold, k, cold[0][1])
        wall, cpu = batch[0] / ours[0], batch[1] / ours[1]
        verdict = "OK" if min(wall, cpu) >= 3 else "BELOW TARGET"
        print(f"\nwarm metadata vs ExifTool batch: {wall:.1f}x wall, {cpu:.1f}x CPU "
              f"(target >= 3x) {verdict}")  # fmt: skip

        big_mp4, big_mkv = make_big(folder, args.seconds)
        print(f"\n{'strip':24s} {'MiB':>7s} {'exifq MB/s':>11s} {'ffmpeg MB/s':>12s} "
              f"{'ratio':>6s} {'exifq HWM':>10s} {'ffmpeg RSS':>11s}")  # fmt: skip
        for big in (big_mp4, big_mkv):
            mb = big.stat().st_size / 2**20
            ours_s, ffmpeg_s, hwm, rss = strip_speeds(big, folder / f"out{big.suffix}", tables)
            print(f"{big.name:24s} {mb:7.1f} {mb / ours_s:11.0f} {mb / ffmpeg_s:12.0f} "
                  f"{ffmpeg_s / ours_s:5.1f}x {hwm:8.0f}MB {rss:9.0f}MB")  # fmt: skip
    print("\nafter:", uptime())
    return 0


if __name__ == "__main__":
    sys.exit(main())
