"""Build ExifTool's tag tables into a cache directory once, safely with many processes.

A build lives in ``<cache>/exiftool-<version>-<generator hash>/``: the ExifTool version
and a hash of this generator's own sources name it, so a new ExifTool or a new exifq
gets new tables and old builds stay valid for the processes using them. The first
process to need a build takes a file lock (``filelock``; a worker's processes start
at once), writes into a temporary directory beside it, compiles the modules to
bytecode and renames the directory into place, ``manifest.json`` included; the others
wait on the lock and find it built. A finished build is never written again, so a
read-only cache (a container image) works without the lock.
"""

from __future__ import annotations

import time
from pathlib import Path

from ...digests import sha256_hex
from .exiftool import ExifTool, TablesUnavailable, run_dump

# The generator (``.generate``), ``compileall`` and ``filelock`` are imported only when a
# build runs: a process that finds its tables built (every ``exifq extract --local``)
# pays for none of them.

HERE = Path(__file__).resolve().parent
LOCK_TIMEOUT = 600.0  # seconds a process waits for another's build


def generator_hash() -> str:
    """A hash of the generator's sources (and the table shapes it writes)."""
    files = sorted(HERE.glob("*.py")) + sorted(HERE.glob("*.pl"))
    files.append(HERE.parent / "tabletypes.py")
    return sha256_hex(b"".join(path.name.encode() + path.read_bytes() for path in files))[:12]


def build_name(exiftool: ExifTool) -> str:
    return f"exiftool-{exiftool.version}-{generator_hash()}"


def is_built(path: Path) -> bool:
    return (path / "manifest.json").is_file()


def build_into(exiftool: ExifTool, out: Path, final: Path | None = None) -> dict:
    """Dump, translate and compile into ``out`` (bytecode names ``final`` as its place)."""
    import compileall

    from .generate import generate, write_manifest

    started = time.perf_counter()
    dump = run_dump(exiftool)
    dumped = time.perf_counter()
    manifest = generate(dump, out)
    compileall.compile_dir(str(out), quiet=1, ddir=str(final or out), workers=1)
    manifest["generator"] = generator_hash()
    manifest["seconds"] = {
        "dump": round(dumped - started, 3),
        "total": round(time.perf_counter() - started, 3),
    }
    write_manifest(out, manifest)
    return manifest


def ensure_built(exiftool: ExifTool, cache_root: Path, *, force: bool = False) -> Path:
    """The directory of the tables for ``exiftool``, built first if missing (or ``force``)."""
    target = cache_root / build_name(exiftool)
    if is_built(target) and not force:
        return target
    try:
        return _build_locked(exiftool, cache_root, target, force)
    except OSError as exc:  # not writable, read-only, not a directory
        raise TablesDirNotWritable(
            f"cannot build ExifTool's tables in {cache_root} ({exc.strerror}): set TABLES_DIR "
            "to a writable directory, or build them there first (exifq tables build)"
        ) from None


class TablesDirNotWritable(TablesUnavailable):
    """The tables are not built and their directory cannot be written."""


def _build_locked(exiftool: ExifTool, cache_root: Path, target: Path, force: bool) -> Path:
    import shutil
    import tempfile

    from filelock import FileLock

    cache_root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_root / f"{target.name}.lock"), timeout=LOCK_TIMEOUT):
        if is_built(target) and not force:
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_root))
        try:
            build_into(exiftool, tmp, final=target)
            if target.exists():
                old = target.with_name(f".{target.name}.old-{time.time_ns()}")
                target.rename(old)  # a forced rebuild: readers keep their open files
                shutil.rmtree(old, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
