"""Setting up the metadata engine: ExifTool's tables built from the installed ExifTool.

What the worker, the command line and the tests call, with values they got from
``common.settings`` (this layer reads no setting itself):

* :func:`use_exiftool` - use the tables of this ExifTool (built into ``cache_dir`` on
  first need, or now with ``eager=True``, which also loads them all: the worker does it
  before forking its pool);
* :func:`build_tables` - ``exifq tables build``;
* :func:`doctor` - ``exifq doctor``: ExifTool's version and path, where the tables
  are, how many expressions were compiled and left out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import tables
from .codegen.build import build_name, ensure_built, is_built
from .codegen.exiftool import INSTALL_HINT, ExifTool, ExifToolNotFound, TablesUnavailable, locate

__all__ = [
    "INSTALL_HINT",
    "ExifToolNotFound",
    "TablesReport",
    "TablesUnavailable",
    "build_tables",
    "doctor",
    "load_tables",
    "use_exiftool",
]


def load_tables(exiftool: str | Path | ExifTool | None, cache_dir: Path) -> tables.TableSet:
    """The tables of the ExifTool named by ``exiftool`` (program or lib), built if missing."""
    found = exiftool if isinstance(exiftool, ExifTool) else locate(exiftool, Path(cache_dir))
    return tables.TableSet(ensure_built(found, Path(cache_dir)))


def use_exiftool(exiftool: str | Path | None, cache_dir: Path, *, eager: bool = False) -> None:
    """Make extraction use this ExifTool's tables: built and loaded on first need, or now and
    all of them (``eager``). Raises :class:`ExifToolNotFound` at once when there is none."""
    found = locate(exiftool, Path(cache_dir))
    if eager:
        loaded = load_tables(found, cache_dir)
        loaded.load_all()
        tables.use(loaded)
    else:
        tables.use(lambda: load_tables(found, cache_dir))


@dataclass(frozen=True)
class TablesReport:
    """What ``exifq tables build`` and ``exifq doctor`` print."""

    exiftool: ExifTool
    path: Path
    built: bool
    manifest: dict | None
    seconds: float | None = None

    def lines(self) -> list[str]:
        out = [
            f"ExifTool {self.exiftool.version}",
            f"  program: {self.exiftool.program or '(not given)'}",
            f"  library: {self.exiftool.lib}",
            f"tables: {self.path}" + ("" if self.built else " (not built yet)"),
        ]
        if self.manifest:
            stats = self.manifest["stats"]
            out.append(
                f"  {stats.get('tables', 0)} tables; expressions compiled: "
                f"{stats.get('compiled', 0)}, left out (untranslated): "
                f"{stats.get('untranslated', 0)}; helpers called: "
                f"{len(self.manifest['functions']) + len(self.manifest['methods'])}"
            )
            out.append(f"  built in {self.manifest['seconds']['total']:.1f} s")
        return out


def build_tables(
    exiftool: str | Path | None, cache_dir: Path, *, force: bool = False
) -> TablesReport:
    """Build (or with ``force`` rebuild) the tables for this ExifTool now."""
    found = locate(exiftool)
    started = time.perf_counter()
    path = ensure_built(found, Path(cache_dir), force=force)
    return TablesReport(
        found, path, True, tables.TableSet(path).manifest, time.perf_counter() - started
    )


def doctor(exiftool: str | Path | None, cache_dir: Path) -> TablesReport:
    """Where things are, without building anything."""
    found = locate(exiftool)
    path = Path(cache_dir) / build_name(found)
    built = is_built(path)
    return TablesReport(found, path, built, tables.TableSet(path).manifest if built else None)
