"""``python -m worker.media.extract.codegen --exiftool PATH --out DIR [--report]``.

A developer's view of one build (``exifq tables build`` is the command for use).
"""

import argparse
import sys
from pathlib import Path

from .build import build_into
from .exiftool import ExifToolNotFound, locate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Translate ExifTool's tag tables to Python.")
    parser.add_argument("--exiftool", required=True, help="the exiftool program or its lib dir")
    parser.add_argument("--out", required=True, type=Path, help="directory to write")
    parser.add_argument("--report", action="store_true", help="list untranslated expressions")
    args = parser.parse_args(argv)
    try:
        exiftool = locate(args.exiftool)
    except ExifToolNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    manifest = build_into(exiftool, args.out)
    if args.report:
        for item in manifest["untranslated"]:
            print(f"{item['where']}: {item['reason']}\n    {item['perl']!r}", file=sys.stderr)
    print(manifest["stats"], manifest["seconds"])
    return 0


sys.exit(main())
