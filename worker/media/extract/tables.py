"""The tag tables in use: a build of ExifTool's tables (:mod:`.codegen.build`), loaded lazily.

exifq carries no copy of ExifTool's tables. Whoever runs the extraction (the worker,
``exifq extract --local``, the tests) says which build to use with :func:`use`,
either a :class:`TableSet` or a function that makes one on first need (so a command
that extracts nothing builds nothing); :func:`get_table` then loads each family
module of that build on first use (``canon.py`` the first time a Canon maker note
is read). The media layer itself reads no setting and no environment.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from .tabletypes import Table

__all__ = [
    "TableSet",
    "TablesNotLoaded",
    "active",
    "exiftool_version",
    "get_table",
    "use",
    "using",
]


class TablesNotLoaded(RuntimeError):
    """No build of ExifTool's tables was chosen with :func:`use`."""


class TableSet:
    """One build directory: ``manifest.json`` plus a module per family."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.manifest: dict = json.loads((self.path / "manifest.json").read_text("utf-8"))
        self.modules: dict[str, str] = self.manifest["modules"]
        self.version: str = self.manifest["exiftool"]["version"]
        self._tables: dict[str, Table] = {}
        self._loaded: dict[str, ModuleType] = {}
        self._prefix = "exifq_tables_" + self.path.name.replace(".", "_").replace("-", "_")

    def module(self, name: str) -> ModuleType:
        """The family module ``name`` (``"canon"``), imported from the build on first use."""
        module = self._loaded.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(
                f"{self._prefix}_{name}", self.path / f"{name}.py"
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._loaded[name] = module
            self._tables.update(module.TABLES)
        return module

    def get(self, name: str) -> Table | None:
        """The table named like ExifTool names it without the prefix (``"Canon::Main"``)."""
        table = self._tables.get(name)
        if table is None:
            module = self.modules.get(name)
            if module is None or module in self._loaded:
                return None
            self.module(module)
            table = self._tables.get(name)
        return table

    def load_all(self) -> None:
        """Import every family module now (before a worker forks its pool)."""
        for name in sorted(set(self.modules.values())):
            self.module(name)

    def helper_data(self, helper: str, variable: str) -> object:
        """Data an ExifTool helper keeps in a variable of its own (``Minolta::
        ConvertWhiteBalance``'s ``%minoltaWhiteBalance``), as dumped with the tables."""
        return self.manifest.get("helper_data", {}).get(helper, {}).get(variable)

    def xmp_namespaces(self) -> tuple[dict[str, str], dict[str, str]]:
        """ExifTool's XMP prefix -> URI map and its old-prefix -> standard-prefix map."""
        module = self.module("xmp")
        return module.NS_URI, module.STD_XLAT_NS


_active: TableSet | None = None
_provider: Callable[[], TableSet] | None = None


def use(source: TableSet | Callable[[], TableSet] | None) -> None:
    """Use ``source`` from now on: a :class:`TableSet`, or a function returning one, called
    on the first :func:`get_table` (``None`` forgets the choice)."""
    global _active, _provider
    if isinstance(source, TableSet) or source is None:
        _active, _provider = source, None
    else:
        _active, _provider = None, source


@contextmanager
def using(source: TableSet) -> Iterator[TableSet]:
    """Use ``source`` inside a ``with`` block, then what was in use before."""
    global _active, _provider
    saved = _active, _provider
    use(source)
    try:
        yield source
    finally:
        _active, _provider = saved


def active() -> TableSet:
    """The tables in use; raises :class:`TablesNotLoaded` if :func:`use` was not called."""
    global _active
    if _active is None:
        if _provider is None:
            raise TablesNotLoaded(
                "ExifTool's tag tables were not set up: call "
                "worker.media.extract.engine.use_exiftool() first (see exifq tables build)"
            )
        _active = _provider()
    return _active


def get_table(name: str) -> Table | None:
    return active().get(name)


def exiftool_version() -> tuple[int, ...]:
    """The version of the ExifTool whose tables are in use, as numbers (``(13, 59)``), for
    the few readers that follow a change of ExifTool's own processing code."""
    return tuple(int(part) for part in re.findall(r"\d+", active().version))
