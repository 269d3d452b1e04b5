"""The files a command line names, their item names, and where outputs go.

A FILE argument is a file (named by its base name) or a directory, walked
recursively in sorted order; a file found inside directory D is named by its
path relative to D (``2024/a.jpg``), so ``strip D -o OUT`` mirrors D into OUT.
Inside directories only regular files are taken: symbolic links, hidden
entries (names starting with ``.``) and special files (sockets, FIFOs,
devices) are skipped. Names must be unique across all arguments.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from common.names import relative_name
from exifq.sources import Input

__all__ = ["Input", "InputError", "UnsafeName", "collect_inputs", "output_path"]


class InputError(ValueError):
    """The command line names inputs the client cannot send (missing file, clashing names).

    ``str()`` is ``<subject>: <code>: <message>``, the shape of every error line."""

    def __init__(self, subject: str, code: str, message: str) -> None:
        super().__init__(f"{subject}: {code}: {message}")
        self.subject, self.code, self.message = subject, code, message


class UnsafeName(ValueError):
    """An item name that would put an output file outside its directory."""


def collect_inputs(arguments: list[str]) -> list[Input]:
    """Every file the arguments name, in argument order; a directory's files by relative name.

    Raises ``InputError`` for an empty argument (``Path("")`` would be the current
    directory), one that does not exist or is not a regular file or directory, and
    for two inputs that would get the same name.
    """
    inputs: list[Input] = []
    for argument in arguments:
        if not argument.strip():
            raise InputError(repr(argument), "empty_argument", "an empty argument names no file")
        path = Path(argument)
        try:
            info = path.stat()
        except OSError as exc:
            code = "not_found" if isinstance(exc, FileNotFoundError) else "io_error"
            raise InputError(argument, code, exc.strerror or str(exc)) from None
        if stat.S_ISDIR(info.st_mode):
            inputs.extend(_walk(path))
        elif stat.S_ISREG(info.st_mode):
            inputs.append(Input(path, path.name, info.st_size))
        else:
            raise InputError(argument, "not_a_file", "not a regular file or directory")
    _check_unique(inputs)
    return inputs


def names_one_file(arguments: list[str]) -> bool:
    """Exactly one argument, and it is a file: the commands then print one JSON object."""
    return len(arguments) == 1 and Path(arguments[0]).is_file()


def _walk(root: Path) -> list[Input]:
    """Regular, non-hidden files under ``root`` (symlinks not followed), sorted by relative name."""
    found: list[Input] = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for file in sorted(files):
            if file.startswith("."):
                continue
            path = Path(folder, file)
            try:
                info = path.lstat()
            except OSError:
                continue  # vanished while walking
            if stat.S_ISREG(info.st_mode):
                found.append(Input(path, path.relative_to(root).as_posix(), info.st_size))
    return sorted(found, key=lambda item: item.name)


def _check_unique(inputs: list[Input]) -> None:
    seen: dict[str, Path] = {}
    for item in inputs:
        key = relative_name(item.name)
        if key in seen:
            raise InputError(
                str(item.path),
                "name_clash",
                f"{seen[key]} and {item.path} would both be named {key!r} "
                "(pass them in separate runs, or their common parent directory)",
            )
        seen[key] = item.path


def output_path(directory: Path, name: str) -> Path:
    """``directory / name`` for an item name from the server; ``UnsafeName`` if it would escape
    ``directory`` (absolute, ``..``, a drive, a backslash or control character, or empty)."""
    if not name or any(unicodedata.category(c) == "Cc" for c in name) or "\\" in name:
        raise UnsafeName(f"unsafe output name {name!r}")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):  # also catches an absolute name ("/etc")
        raise UnsafeName(f"unsafe output name {name!r}")
    if ":" in parts[0] and os.name == "nt":  # pragma: no cover - a drive on Windows
        raise UnsafeName(f"unsafe output name {name!r}")
    target = directory.joinpath(*parts)
    base = directory.resolve()
    if not target.resolve().is_relative_to(base):  # a symlink inside DIR pointing out
        raise UnsafeName(f"output name {name!r} leads outside {directory}")
    return target


def beside(source: Path) -> Path:
    """Where ``strip`` writes without ``-o``: ``NAME.clean.EXT`` beside the input."""
    return source.with_name(f"{source.stem}.clean{source.suffix}")
