"""ExifTool for ``exifq dev``: found, or installed from Debian's packages, and its tables built.

exifq reads ExifTool's tag tables from the installed ExifTool (``docs/engine.md``). A
newcomer's ``pip install -e . && exifq dev`` should not stop at "install ExifTool first",
so on a machine without one ``exifq dev`` installs Debian's ``libimage-exiftool-perl``
itself when it can do so without asking (``apt-get`` present, and root or password-less
``sudo``); anywhere else it stops with the install commands. Then it builds the tables
(seconds, once per ExifTool version) before the worker starts, so "ready" means ready.
Only ``exifq dev`` installs anything; the worker and ``--local`` never do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from exifq.cli.devparts import StartupFailed

if TYPE_CHECKING:
    from common.settings import Settings

PACKAGE = "libimage-exiftool-perl"


def installer() -> list[list[str]] | None:
    """The commands that install ExifTool without a prompt here, or ``None`` if none would."""
    if shutil.which("apt-get") is None:
        return None
    prefix: list[str] = []
    if os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo is None or subprocess.run([sudo, "-n", "true"], capture_output=True).returncode:
            return None
        prefix = [sudo, "-n"]
    install = [*prefix, "apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", PACKAGE]
    return [install, [*prefix, "apt-get", "update"], install]


def _install(commands: list[list[str]], log: IO[bytes]) -> bool:
    """Install (``update`` then again only when the first try fails); True when it worked."""
    first, *retry = commands
    if subprocess.run(first, stdout=log, stderr=log).returncode == 0:
        return True
    return all(subprocess.run(c, stdout=log, stderr=log).returncode == 0 for c in retry)


def ensure_tables(
    settings: Settings,
    log: IO[bytes],
    announce: Callable[[str, str], None],
    find_installer: Callable[[], list[list[str]] | None] = installer,
) -> None:
    """Have an ExifTool and its built tables, saying which on one line (``announce``)."""
    from worker.media.extract import engine

    program = settings.exiftool
    if program is None:
        commands = find_installer()
        if commands is None:
            raise StartupFailed("exiftool_missing", engine.INSTALL_HINT)
        announce("exiftool", f"not found: installing Debian's {PACKAGE} (once)")
        if not _install(commands, log) or (program := shutil.which("exiftool")) is None:
            raise StartupFailed("exiftool_missing", f"installing failed. {engine.INSTALL_HINT}")
    try:
        built = engine.build_tables(program, settings.tables_dir)
    except engine.TablesUnavailable as exc:
        raise StartupFailed("exiftool_tables", str(exc)) from exc
    announce("exiftool", f"ExifTool {built.exiftool.version}, tag tables in {built.path}")
