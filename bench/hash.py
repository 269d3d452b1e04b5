"""Perceptual hashes: exifq beside imagehash and OpenCV, warm and cold, in the same run.

    python -m bench.hash [--photos 6] [--repeat 5] [--write-docs]

Inputs: 12-megapixel photo-like JPEGs (the corpus's larger photographs
upscaled, with sensor-like noise), written to a temporary folder.

- Warm vs warm: one process, imports and first calls done, every side from
  the file's bytes in memory to the hash string (its own JPEG decoder
  included), sides interleaved, median of ``--repeat``: pHash (imagehash:
  Pillow open + ``imagehash.phash``), the four imagehash-style hashes from
  one file, and BlockMeanHash mode 1 (OpenCV: ``cv2.imdecode`` +
  ``img_hash.BlockMeanHash``). Peak memory: VmHWM of a separate process per
  side that does the same work on every photo once.
- Cold vs cold: one fresh process per file, from the path to the hash on
  standard output, interpreter start and imports included: ``exifq hash
  --local --types phash FILE`` (the command line) and the same four lines of
  Python for exifq's library and for imagehash; whole-process VmHWM (GNU time).

Every process runs on one core (OpenCV would otherwise use two). Hashes are
checked equal to the reference's (exact mode) before timing.
Needs the test extras (imagehash, opencv-contrib-python-headless).
The dedupe search over hashes is ``bench/dedupe.py``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

from bench.common import (
    COLD_HEADER,
    REPO,
    Report,
    Run,
    cold_row,
    interleaved,
    leg_answer,
    mb,
    ms,
    parser,
    ratio,
    run_command,
    run_leg,
    start,
)

CORPUS = os.environ.get("EXIFQ_CORPUS", "/work/shared/corpus")
# The corpus's larger real photographs, upscaled to 12 MP as stand-ins for camera files.
PHOTO_SOURCES = [
    "exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif",
    "exif-samples/heic/mobile/iphone_13_pro_max.HEIC",
    "exif-samples/heic/IMG_5195.HEIC",
    "exif-samples/jpg/hdr/iphone_hdr_YES.jpg",
    "exif-samples/jpg/hdr/canon_hdr_YES.jpg",
    "exif-samples/jpg/tests/30-type_error.jpg",
    "exif-samples/jpg/tests/33-type_error.jpg",
    "exif-samples/jpg/tests/87_OSError.jpg",
    "exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg",
    "exif-samples/jpg/orientation/landscape_1.jpg",
]
GREY = ("phash", "dhash", "ahash", "whash")

COLD_SCRIPTS = {
    "imagehash": "import sys, imagehash\nfrom PIL import Image\n"
    "print(imagehash.phash(Image.open(sys.argv[1])))",
    "exifq library": "import sys\nfrom worker.media.hashes import compute_hashes\n"
    "print(compute_hashes(open(sys.argv[1], 'rb').read(), ['phash'])['phash'])",
}


def photo_jpegs(count: int, size: tuple[int, int] = (4000, 3000)) -> list[bytes]:
    """12 MP JPEGs (quality 90): corpus photos upscaled with LANCZOS plus sensor-like noise."""
    from PIL import Image

    from worker.media.decode import load_pixels, open_image

    rng = np.random.default_rng(0)
    photos = []
    for source in PHOTO_SOURCES[:count]:
        with open(os.path.join(CORPUS, source), "rb") as file:
            image, _ = open_image(file.read())
        load_pixels(image)
        large = np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))
        noisy = np.clip(large + rng.normal(0, 3, (*large.shape[:2], 1)), 0, 255)
        out = io.BytesIO()
        Image.fromarray(noisy.astype(np.uint8)).save(out, "JPEG", quality=90)
        photos.append(out.getvalue())
    return photos


# ---- the sides, from bytes in memory -------------------------------------------------------


def imagehash_phash(data: bytes) -> str:
    import imagehash
    from PIL import Image

    return str(imagehash.phash(Image.open(io.BytesIO(data))))


def imagehash_four(data: bytes) -> list[str]:
    import imagehash
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return [
        str(imagehash.phash(image)),
        str(imagehash.dhash(image)),
        str(imagehash.average_hash(image)),
        str(imagehash.whash(image)),
    ]


def opencv_bmh1(data: bytes) -> str:
    import cv2

    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    bits = cv2.img_hash.BlockMeanHash_create(1).compute(pixels)[0]
    return "".join(map(str, np.unpackbits(bits, bitorder="little")))


def ours(types: tuple[str, ...], data: bytes, fast: bool = False) -> list[str]:
    from worker.media.hashes import compute_hashes

    return list(compute_hashes(data, list(types), fast=fast).values())


SIDES = {
    "imagehash phash": imagehash_phash,
    "exifq phash": partial(ours, ("phash",)),
    "exifq phash --fast": partial(ours, ("phash",), fast=True),
    "imagehash four": imagehash_four,
    "exifq four": partial(ours, GREY),
    "opencv bmh1": opencv_bmh1,
    "exifq bmh1": partial(ours, ("bmh1",)),
}


def leg_side(name: str, paths: list[str]) -> dict:
    """One side over every photo once (from bytes in memory), for its peak memory."""
    for path in paths:
        SIDES[name](Path(path).read_bytes())
    return {}


# ---- the report ------------------------------------------------------------------------------


def check_equal(photos: list[bytes]) -> None:
    for data in photos:
        assert ours(("phash",), data) == [imagehash_phash(data)], "pHash differs from imagehash"
        assert ours(GREY, data) == imagehash_four(data), "hashes differ from imagehash"
        assert ours(("bmh1",), data) == [opencv_bmh1(data)], "bmh1 differs from OpenCV"


def bits_off(photos: list[bytes]) -> str:
    off = [
        (int(ours(("phash",), d)[0], 16) ^ int(ours(("phash",), d, fast=True)[0], 16)).bit_count()
        for d in photos
    ]
    return f"mean {np.mean(off):.2f}, max {max(off)} of 64 bits"


def warm(report: Report, photos: list[bytes], paths: list[str], repeat: int) -> None:
    comparisons = [
        ("pHash", "imagehash phash", ["exifq phash", "exifq phash --fast"]),
        ("pHash + dHash + aHash + wHash", "imagehash four", ["exifq four"]),
        ("BlockMeanHash mode 1", "opencv bmh1", ["exifq bmh1"]),
    ]
    peaks = {name: run_leg("bench.hash", "side", name, *paths)["peak_mb"] for name in SIDES}
    rows = []
    for label, reference, contenders in comparisons:
        per_photo: dict[str, list[float]] = {name: [] for name in [reference, *contenders]}
        for data in photos:
            medians = interleaved({n: partial(SIDES[n], data) for n in per_photo}, repeat)
            for name, seconds in medians.items():
                per_photo[name].append(seconds)
        reference_s = statistics.median(per_photo[reference])
        rows.append([label, reference, ms(reference_s), "", mb(peaks[reference]), ""])
        for name in contenders:
            ours_s = statistics.median(per_photo[name])
            speedups = [r / o for r, o in zip(per_photo[reference], per_photo[name], strict=True)]
            spread = f"{min(speedups):.2f}–{max(speedups):.2f}×"
            rows.append(
                [label, name, ms(ours_s), f"{ratio(reference_s, ours_s)} ({spread})",
                 mb(peaks[name]), ratio(peaks[reference], peaks[name])]
            )  # fmt: skip
    report.section(
        "Warm vs warm: bytes in memory to hash, one process",
        f"{len(photos)} JPEGs of 4000×3000; each side decodes with its own decoder (Pillow for"
        " imagehash and exifq, OpenCV's for OpenCV). Time: median over photos of each photo's"
        f" median of {repeat} interleaved runs; the range is the per-photo speed-up. Peak: VmHWM"
        " of a fresh process running that side over every photo once (imports included).",
    )
    report.table(
        ["hashes", "side", "time", "speed-up vs reference", "peak memory", "less memory"], rows,
        f"`--fast` decodes JPEGs at a reduced scale; its pHash against exact: {bits_off(photos)}."
        " Exact hashes equal the reference's on every photo (checked).",
    )  # fmt: skip


def cold(report: Report, paths: list[str]) -> None:
    commands = {
        "imagehash (python -c)": [sys.executable, "-c", COLD_SCRIPTS["imagehash"]],
        "exifq library (python -c)": [sys.executable, "-c", COLD_SCRIPTS["exifq library"]],
        "exifq hash --local --types phash": [
            sys.executable, "-m", "exifq", "hash", "--local", "--types", "phash",
        ],
    }  # fmt: skip
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for path in paths:
        for name, argv in commands.items():
            run = run_command([*argv, path], cwd=REPO)
            assert run.proc.returncode == 0, run.proc.stderr.decode()[-500:]
            runs[name].append(run)
    exifq = "exifq hash --local --types phash"
    rows = [cold_row(name, "one", runs[name], runs[exifq]) for name in commands]
    report.section(
        "Cold vs cold: one process per file, path to pHash",
        f"{len(paths)} files, one process each, interpreter start-up and imports included;"
        " median wall and CPU (user + system) time per file, largest whole-process peak"
        " (GNU time).",
    )
    report.table(COLD_HEADER, rows)


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--photos", type=int, default=6, help="12 MP JPEGs to generate (≤ 10)")
    cli.add_argument("--repeat", type=int, default=5, help="interleaved runs per photo")
    cli.add_argument("rest", nargs="*", help=__import__("argparse").SUPPRESS)
    args = cli.parse_args(argv)
    if args.leg:
        leg_answer(leg_side(args.rest[0], args.rest[1:]))
        return
    command = " ".join(["python -m bench.hash", *(sys.argv[1:] if argv is None else argv)])
    report = Report("hash", "Perceptual hashes: exifq beside imagehash and OpenCV", command)
    start(report)
    if hasattr(os, "sched_setaffinity"):  # one core for every side (OpenCV would take two)
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    photos = photo_jpegs(args.photos)
    check_equal(photos)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, data in enumerate(photos):
            paths.append(str(Path(folder) / f"photo{i}.jpg"))
            Path(paths[-1]).write_bytes(data)
        warm(report, photos, paths, args.repeat)
        cold(report, paths)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
