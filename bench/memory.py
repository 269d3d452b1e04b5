"""Peak memory on a 100-megapixel JPEG: exifq's modes beside ExifTool and imagehash.

    python -m bench.memory [--side 10000] [--baseline-tree DIR] [--write-docs]

A photo-like ``--side``×``--side`` JPEG (smooth colour fields with per-pixel noise,
quality 90, EXIF) is generated into a temporary folder (never committed). Every row is
one fresh process, start-up included, from the file path to JSON on standard output;
peak memory is the whole process's VmHWM (GNU time ``%M``), with wall and CPU time:

- ``exifq extract --local`` with the service's default options (pHash and colours, and
  Cloudinary's palette and predominant colours), with ``--fast``, with ``--no-pixels``;
  ``exifq hash --local --types phash``;
- ExifTool ``-j -n FILE`` (metadata only: it never decodes the pixels);
- imagehash: ``imagehash.phash(Image.open(FILE))``, what exifq's exact pHash is checked
  against (Pillow decodes the whole RGB image, then the grey copy is resized).

The same pixels saved as a progressive JPEG are measured too (exifq's default extract and
imagehash). ``--baseline-tree DIR`` runs the same exifq commands from another checkout (say the
main branch before a change) as extra rows. The pHash of the default extract is checked
equal to imagehash's before anything is printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import REPO, Report, Run, mb, ms, parser, ratio, run_command, start

_MAKE = """
import sys
import numpy as np
from PIL import Image
side = int(sys.argv[2])
rng = np.random.default_rng(7)
fields = Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8))
image = fields.resize((side, side), Image.Resampling.BICUBIC)
del fields
rows = 500
for top in range(0, side, rows):  # sensor-like noise, a band at a time
    band = np.asarray(image.crop((0, top, side, min(side, top + rows))), dtype=np.int16)
    band = band + rng.integers(-12, 13, band.shape, dtype=np.int16)
    image.paste(Image.fromarray(band.clip(0, 255).astype(np.uint8)), (0, top))
exif = Image.Exif()
exif[0x010F] = "exifq-bench"
exif[0x0110] = f"{side * side / 1e6:.0f} MP"
image.save(sys.argv[1], "JPEG", quality=90, exif=exif.tobytes())
image.save(sys.argv[3], "JPEG", quality=90, exif=exif.tobytes(), progressive=True)
"""

_IMAGEHASH = """
import sys
import imagehash
from PIL import Image
Image.MAX_IMAGE_PIXELS = None
print(imagehash.phash(Image.open(sys.argv[1])))
"""


def exifq_commands(python: str) -> dict[str, list[str]]:
    cli = [python, "-m", "exifq"]
    return {
        "extract (default options)": [*cli, "extract", "--local"],
        "extract --fast": [*cli, "extract", "--local", "--fast"],
        "extract --no-pixels": [*cli, "extract", "--local", "--no-pixels"],
        "hash --types phash": [*cli, "hash", "--local", "--types", "phash"],
    }


def make_images(path: Path, progressive: Path, side: int) -> None:
    """The baseline JPEG and the same pixels saved progressive."""
    argv = [sys.executable, "-c", _MAKE, str(path), str(side), str(progressive)]
    subprocess.run(argv, check=True)


def _run(argv: list[str], path: Path, tree: Path | None = None) -> Run | None:
    """One process; ``None`` when a baseline checkout has no such option (an error exit)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    run = run_command([*argv, str(path)], cwd=tree or REPO, env=env)
    if run.proc.returncode != 0:
        if tree is not None:
            return None
        raise RuntimeError(f"{' '.join(argv)} failed:\n{run.proc.stderr.decode()[-2000:]}")
    return run


def _phash_of(run: Run) -> str:
    out = run.proc.stdout.decode()
    return out.strip() if not out.lstrip().startswith("{") else json.loads(out)["metadata"]["pHash"]


def measure(report: Report, path: Path, progressive: Path, baseline: Path | None) -> None:
    python = sys.executable
    rows: list[tuple[str, str, Run]] = []
    for name, argv in exifq_commands(python).items():
        rows.append((f"exifq {name}", "this tree", _run(argv, path)))
    if baseline is not None:
        for name, argv in exifq_commands(python).items():
            rows.append((f"exifq {name}", f"baseline {baseline}", _run(argv, path, baseline)))
    exiftool = _run(["exiftool", "-j", "-n"], path)
    imagehash = _run([python, "-c", _IMAGEHASH], path)
    ours = _phash_of(rows[0][2])
    reference = imagehash.proc.stdout.decode().strip()
    assert ours == reference, f"pHash {ours} != imagehash's {reference}"
    rows += [("exiftool -j -n", "ExifTool", exiftool), ("imagehash.phash", "imagehash", imagehash)]
    default = exifq_commands(python)["extract (default options)"]
    rows += [
        ("exifq extract (default options), progressive", "this tree", _run(default, progressive)),
        (
            "imagehash.phash, progressive",
            "imagehash",
            _run([python, "-c", _IMAGEHASH], progressive),
        ),
    ]
    size = path.stat().st_size / 2**20
    report.section(
        "Whole-process peak memory, one fresh process each",
        f"A generated {_side(path)} JPEG ({size:.1f} MiB, quality 90, photo-like noise), from"
        " the path to JSON on standard output, start-up included. Peak: VmHWM by GNU time."
        f" The default extract's pHash equals imagehash's ({ours}). The last rows read the"
        " same pixels saved as a progressive JPEG: libjpeg then keeps the whole image's"
        " coefficients and writes every row at once, so no decoder can go band by band.",
    )
    header = ["process", "code", "peak memory", "vs imagehash", "vs ExifTool", "wall", "CPU"]
    table = [
        [name, code, mb(run.peak), ratio(imagehash.peak, run.peak), ratio(exiftool.peak, run.peak),
         ms(run.seconds), ms(run.cpu)]
        for name, code, run in rows
    if run is not None
    ]  # fmt: skip
    report.table(
        header,
        table,
        "“vs” columns: the other's peak divided by this row's (above 1: this row needs less).",
    )


def _side(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return f"{image.width}×{image.height} ({image.width * image.height / 1e6:.0f} MP)"


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--side", type=int, default=10_000, help="the generated JPEG's side")
    cli.add_argument("--baseline-tree", type=Path, help="also run exifq from this checkout")
    args = cli.parse_args(argv)
    if shutil.which("exiftool") is None:
        sys.exit("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    command = " ".join(["python -m bench.memory", *(sys.argv[1:] if argv is None else argv)])
    report = Report("memory", "Peak memory on a 100 MP JPEG: exifq, ExifTool, imagehash", command)
    start(report)
    with tempfile.TemporaryDirectory(prefix="exifq-bench-") as folder:
        path, progressive = Path(folder) / "big.jpg", Path(folder) / "big-progressive.jpg"
        make_images(path, progressive, args.side)
        measure(report, path, progressive, args.baseline_tree)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
