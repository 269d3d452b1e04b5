"""The operation registry: every job operation, declared once (see :mod:`.base`).

Built in: :mod:`.extract`, :mod:`.remove` (``strip`` on the command line) and
:mod:`.hashes`. More can be added by a module that calls :func:`register`,
listed in the ``OPERATION_MODULES`` setting (the API, the workers and the
command line import them at start-up with :func:`load_modules`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from common.operations.base import FileRunner, Limits, Operation, Outcome, Runner, Source

__all__ = [
    "FileRunner",
    "Limits",
    "Operation",
    "Outcome",
    "Runner",
    "Source",
    "all_operations",
    "get",
    "load_modules",
    "register",
]

_REGISTRY: dict[str, Operation] = {}
# The built-in operations (name, command-line name, module), each module imported when its
# operation is first asked for: ``exifq extract --local`` builds no other operation's
# option classes (a few ms of a one-file command). ``all_operations`` lists them first.
_BUILTINS = (
    ("extract", "extract", "common.operations.extract"),
    ("remove", "strip", "common.operations.remove"),
    ("hash", "hash", "common.operations.hashes"),
    ("scan", "scan", "common.operations.scan"),
)
_loading_builtin = False


def _load_builtins(name: str | None = None) -> None:
    """Register the built-in operations not yet registered (only ``name``'s if given)."""
    global _loading_builtin
    for op_name, cli_name, module in _BUILTINS:
        if op_name in _REGISTRY or (name is not None and name not in (op_name, cli_name)):
            continue
        _loading_builtin = True
        try:
            register(importlib.import_module(module).OPERATION)
        finally:
            _loading_builtin = False


def register(operation: Operation) -> Operation:
    """Add ``operation``; its name and command must be new (registering the same spec again
    is harmless)."""
    if not _loading_builtin:
        _load_builtins()  # a plug-in is checked against every built-in
    for other in _REGISTRY.values():
        if other == operation:
            return operation
        if operation.name in (other.name, other.cli_name) or operation.cli_name in (
            other.name,
            other.cli_name,
        ):
            raise ValueError(f"operation {operation.name!r} clashes with {other.name!r}")
    _REGISTRY[operation.name] = operation
    return operation


def unregister(name: str) -> None:
    """Remove an operation (tests that add a throw-away one)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Operation | None:
    """The operation called ``name`` (its API name or its command-line name)."""
    found = _find(name)
    if found is None:
        _load_builtins(name)
        found = _find(name)
    return found


def _find(name: str) -> Operation | None:
    found = _REGISTRY.get(name)
    if found is None:
        found = next((op for op in _REGISTRY.values() if op.cli_name == name), None)
    return found


def all_operations() -> tuple[Operation, ...]:
    """Every registered operation: the built-in ones, then the others in registration order."""
    _load_builtins()
    builtin = tuple(_REGISTRY[name] for name, _, _ in _BUILTINS)
    return builtin + tuple(op for op in _REGISTRY.values() if op not in builtin)


def load_modules(names: str | Iterable[str]) -> None:
    """Import the modules that register more operations (``OPERATION_MODULES``)."""
    if isinstance(names, str):
        names = names.split(",")
    for name in names:
        if name.strip():
            importlib.import_module(name.strip())
