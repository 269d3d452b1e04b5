"""The few settings an in-process ``exifq OPERATION --local`` run reads, without pydantic.

:class:`common.settings.Settings` stays the one declaration of every setting (names,
defaults, descriptions, validation); importing it costs about 0.18 s (pydantic and
pydantic-settings), more than a whole ``exiftool -j FILE`` run. A ``--local`` run needs
five of them, read here from the environment with the same names, defaults and rules
(a whole number > 0; a path), so that ``exifq extract --local --no-pixels FILE`` starts
as fast as ExifTool. ``tests/unit/test_quick_settings.py`` checks both agree.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from common.errors import BadRequest


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise BadRequest(f"{name}={text!r}: a whole number greater than 0 was expected")
    return value


@dataclass(frozen=True)
class QuickSettings:
    """What ``--local`` reads: the limits, where ExifTool and its tables are, plug-ins."""

    MAX_IMAGE_PIXELS: int = 100_000_000
    APPROX_PIXELS_MAX: int = 4_000_000
    EXIFTOOL: str | None = None
    TABLES_DIR: Path | None = None
    OPERATION_MODULES: str = ""

    @cached_property
    def exiftool(self) -> str | None:
        """As :attr:`common.settings.Settings.exiftool`."""
        return exiftool_program(self.EXIFTOOL)

    @cached_property
    def tables_dir(self) -> Path:
        """As :attr:`common.settings.Settings.tables_dir`."""
        return tables_directory(self.TABLES_DIR)


def exiftool_program(configured: str | None) -> str | None:
    """``EXIFTOOL``, else the ``exiftool`` program on PATH (``None``: not installed)."""
    return configured or shutil.which("exiftool")


def tables_directory(configured: Path | None) -> Path:
    """``TABLES_DIR``, else ``tables`` in exifq's user cache directory (platformdirs)."""
    if configured is not None:
        return configured
    import platformdirs

    return platformdirs.user_cache_path("exifq") / "tables"


def load_quick_settings(environ: dict[str, str] | None = None) -> QuickSettings:
    """Read :class:`QuickSettings` from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name in ("MAX_IMAGE_PIXELS", "APPROX_PIXELS_MAX"):
        if name in env:
            values[name] = _positive_int(name, env[name])
    if env.get("EXIFTOOL"):
        values["EXIFTOOL"] = env["EXIFTOOL"]
    if env.get("TABLES_DIR"):
        values["TABLES_DIR"] = Path(env["TABLES_DIR"])
    if "OPERATION_MODULES" in env:
        values["OPERATION_MODULES"] = env["OPERATION_MODULES"]
    return QuickSettings(**values)
