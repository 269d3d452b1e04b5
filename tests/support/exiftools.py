"""The ExifTool versions the engine is checked against, and their own readings of the corpus.

* Debian's ExifTool (``libimage-exiftool-perl``, 12.57 on bookworm): ``exiftool`` on PATH.
* The newest ExifTool, as the npm package ``exiftool-vendored.pl`` ships it (plain Perl):
  installed with npm into ``.cache/exiftool-vendored/`` (outside git) by
  ``tests/run.sh``, or on first need here; nothing is downloaded but from npm.

Each version's reading of the corpus (``exiftool -j -G1 -n -struct``, or without
``-n`` for printed values) is run at test time, once per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from filelock import FileLock

REPO = Path(__file__).resolve().parent.parent.parent
VENDORED_PACKAGE = "exiftool-vendored.pl"
VENDORED_VERSION = "13.59.3"  # ExifTool 13.59; raise to follow ExifTool
VENDORED_DIR = REPO / ".cache" / "exiftool-vendored"
VENDORED_PROGRAM = VENDORED_DIR / "node_modules" / VENDORED_PACKAGE / "bin" / "exiftool"


@dataclass(frozen=True)
class ExifToolVersion:
    """One ExifTool installation used as the reference."""

    label: str  # "debian" or "newest"
    program: Path

    @property
    def version(self) -> str:
        return _version(str(self.program))


@cache
def _version(program: str) -> str:
    proc = subprocess.run(["perl", program, "-ver"], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def install_vendored() -> Path:
    """``exiftool-vendored.pl`` installed with npm into ``.cache/`` (once, under a lock)."""
    if VENDORED_PROGRAM.is_file():
        return VENDORED_PROGRAM
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the newest ExifTool (tests/run.sh does it)")
    VENDORED_DIR.mkdir(parents=True, exist_ok=True)
    with FileLock(str(VENDORED_DIR / "install.lock"), timeout=600):
        if not VENDORED_PROGRAM.is_file():
            package = f"{VENDORED_PACKAGE}@{VENDORED_VERSION}"
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(VENDORED_DIR), package],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return VENDORED_PROGRAM


def versions() -> list[ExifToolVersion]:
    """Debian's ExifTool and the newest one (installed on first need)."""
    system = shutil.which("exiftool")
    if system is None:
        raise RuntimeError("ExifTool is not installed: tests/run.sh installs it")
    return [ExifToolVersion("debian", Path(system)), ExifToolVersion("newest", install_vendored())]


@cache
def corpus_reading(program: Path, root: Path, paths: tuple[str, ...], printed: bool) -> dict:
    """``exiftool -j -G1 [-n] -struct`` of every corpus file, by corpus path (one run)."""
    args = ["perl", str(program), "-j", "-G1", "-struct", *([] if printed else ["-n"])]
    proc = subprocess.run([*args, *paths], cwd=root, capture_output=True, check=False)
    rows = json.loads(proc.stdout)
    return {row["SourceFile"]: row for row in rows}
