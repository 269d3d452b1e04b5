"""The operation registry: every job operation, declared once (see :mod:`.base`).

Built in: :mod:`.extract`, :mod:`.remove` (``strip`` on the command line) and
:mod:`.hashes`. More can be added by a module that calls :func:`register`,
listed in the ``OPERATION_MODULES`` setting (the API, the workers and the
command line import them at start-up with :func:`load_modules`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from common.operations import extract, hashes, remove, scan
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


def register(operation: Operation) -> Operation:
    """Add ``operation``; its name and command must be new (registering the same spec again
    is harmless)."""
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
    found = _REGISTRY.get(name)
    if found is None:
        found = next((op for op in _REGISTRY.values() if op.cli_name == name), None)
    return found


def all_operations() -> tuple[Operation, ...]:
    """Every registered operation, in registration order."""
    return tuple(_REGISTRY.values())


def load_modules(names: str | Iterable[str]) -> None:
    """Import the modules that register more operations (``OPERATION_MODULES``)."""
    if isinstance(names, str):
        names = names.split(",")
    for name in names:
        if name.strip():
            importlib.import_module(name.strip())


for _builtin in (extract.OPERATION, remove.OPERATION, hashes.OPERATION, scan.OPERATION):
    register(_builtin)
