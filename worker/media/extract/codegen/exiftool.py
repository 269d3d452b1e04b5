"""The installed ExifTool whose tag tables exifq reads: where it is, which version.

exifq does not ship ExifTool's tables; it reads them from the ExifTool on the machine
(Debian's ``libimage-exiftool-perl``, Homebrew's ``exiftool``, or any unpacked
distribution such as the npm package ``exiftool-vendored.pl``). :func:`locate` takes
what the caller was told (the ``EXIFTOOL`` setting, else ``exiftool`` found on PATH):
the ``exiftool`` program, or the ``lib`` directory holding ``Image/ExifTool.pm``.
:func:`run_dump` runs ``dump_tables.pl`` with that ``lib`` first on Perl's ``@INC``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = Path("Image") / "ExifTool.pm"
INSTALL_HINT = (
    "exifq reads ExifTool's tag tables from the installed ExifTool. Install it "
    "(Debian/Ubuntu: apt-get install libimage-exiftool-perl; macOS: brew install exiftool) "
    "or set EXIFTOOL to the exiftool program or its lib directory."
)
_VERSION = re.compile(rb"\$VERSION\s*=\s*['\"]([\d.]+)['\"]")


class TablesUnavailable(RuntimeError):
    """ExifTool's tables cannot be had: the message says what to do."""


class ExifToolNotFound(TablesUnavailable):
    """No usable ExifTool: the message says how to install one."""


@dataclass(frozen=True)
class ExifTool:
    """One ExifTool installation: its ``Image/ExifTool.pm`` and version."""

    module: Path  # .../Image/ExifTool.pm
    version: str
    program: Path | None = None  # the exiftool script, when we were given it

    @property
    def lib(self) -> Path:
        """The directory to put first on Perl's ``@INC``."""
        return self.module.parent.parent


def _version_of(module: Path) -> str | None:
    try:
        head = module.read_bytes()[:20000]
    except OSError:
        return None
    m = _VERSION.search(head)
    return m.group(1).decode() if m else None


def _from_lib(lib: Path, program: Path | None = None) -> ExifTool | None:
    module = lib / MODULE
    version = _version_of(module) if module.is_file() else None
    return ExifTool(module.resolve(), version, program) if version else None


def _from_perl(program: Path) -> ExifTool | None:
    """Ask Perl where ``Image::ExifTool`` is (Debian's ``/usr/bin/exiftool`` uses ``@INC``)."""
    import subprocess

    script = 'print $INC{"Image/ExifTool.pm"}'
    try:
        proc = subprocess.run(
            ["perl", "-MImage::ExifTool", "-e", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = proc.stdout.strip()
    return _from_lib(Path(path).parent.parent, program) if proc.returncode == 0 and path else None


def _remembered(program: Path, memo_dir: Path | None) -> ExifTool | None:
    """Ask Perl where the program's ``Image::ExifTool`` is, once: the answer is kept in
    ``memo_dir/located.json`` under the program's path, size and modification time (the
    question costs a Perl start, ~50 ms, as long as ExifTool's own run)."""
    if memo_dir is None:
        return _from_perl(program)
    memo = Path(memo_dir) / "located.json"
    try:
        stat = program.stat()
        key = f"{program}:{stat.st_size}:{stat.st_mtime_ns}"
        known = json.loads(memo.read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        found = _from_lib(Path(known[key]), program)
        if found is not None:
            return found
    found = _from_perl(program)
    if found is not None:
        try:  # a read-only cache only means asking Perl each time
            memo.parent.mkdir(parents=True, exist_ok=True)
            partial = memo.with_name(f".located.{os.getpid()}.json")
            partial.write_text(json.dumps({key: str(found.lib)}), "utf-8")
            os.replace(partial, memo)
        except OSError:
            pass
    return found


def locate(spec: str | Path | None, memo_dir: Path | None = None) -> ExifTool:
    """The ExifTool named by ``spec`` (a program or a ``lib`` directory); raises
    :class:`ExifToolNotFound` with the install commands when there is none. ``memo_dir``
    (the tables' cache) keeps where Perl said a program's library is."""
    if not spec:
        raise ExifToolNotFound(f"ExifTool was not found. {INSTALL_HINT}")
    path = Path(spec).expanduser()
    found = None
    if path.is_dir():
        found = _from_lib(path) or _from_lib(path / "lib")
    elif path.is_file():
        real = path.resolve()
        found = _from_lib(real.parent / "lib", real) or _remembered(real, memo_dir)
    if found is None:
        raise ExifToolNotFound(f"no ExifTool at {spec}. {INSTALL_HINT}")
    return found


ROOTS = (
    "Image::ExifTool::Exif::Main",
    "Image::ExifTool::GPS::Main",
    "Image::ExifTool::IPTC::Main",
    "Image::ExifTool::XMP::Main",
    "Image::ExifTool::QuickTime::Main",  # MP4/MOV/3GP (worker/media/video)
    "Image::ExifTool::Matroska::Main",  # WebM/MKV
    "Image::ExifTool::Matroska::StdTag",  # (reached from code: Matroska.pm HandleStruct)
    "Image::ExifTool::RIFF::Main",  # AVI
)


def run_dump(exiftool: ExifTool) -> dict:
    """ExifTool's tables reachable from :data:`ROOTS`, as ``dump_tables.pl`` prints them."""
    import subprocess

    script = HERE / "dump_tables.pl"
    proc = subprocess.run(
        ["perl", "-I", str(exiftool.lib), str(script), *ROOTS],
        capture_output=True,
        check=False,
        timeout=600,
    )
    if proc.returncode != 0:
        error = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise ExifToolNotFound(f"reading ExifTool's tables from {exiftool.lib} failed: {error}")
    return json.loads(proc.stdout)
