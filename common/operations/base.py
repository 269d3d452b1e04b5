"""What an operation is: its spec, the input it runs on, the limits it runs under, what it gives.

An :class:`Operation` is declared once (``common.operations.<name>``) and read by
everything that deals with it: the API (routes, input parsing, OpenAPI), the
worker pipeline (which runner to call, whether to store a file), batches and
the command line. The work itself is a *runner*, named by ``"module:function"``
so that this layer imports nothing above it; only the worker and ``--local``
import it::

    run(source: Source, options, limits: Limits) -> Outcome
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from common import options as opts
from common.errors import BadRequest


@dataclass(frozen=True)
class Source:
    """The input of one run."""

    name: str  # the file name it goes by (results and downloads use it)
    data: bytes
    format: str | None = None  # the sniffed format's name ("jpg", ...) when already known
    path: Path | None = None  # the input as a file instead of ``data`` (videos: worker.staging)


@dataclass(frozen=True)
class Limits:
    """Bounds a runner must hold to, from settings."""

    max_pixels: int = 100_000_000
    approx_pixels: int = 4_000_000  # most pixels decoded for approximate work (colours, faces)


@dataclass(frozen=True)
class Outcome:
    """What a run gives: the result (the completed job's body without the job fields) and,
    for an operation that produces a file, the file."""

    result: dict
    cleaned: bytes | None = None
    cleaned_type: str | None = None  # the cleaned file's MIME type
    cleaned_path: Path | None = None  # the cleaned file on disk instead of ``cleaned`` (videos)
    summary: dict | None = None  # small; a batch keeps it with the item (similarity answers)


Runner = Callable[[Source, Any, Limits], Outcome]
# File to file, for large inputs and ``--local``: (source path, output path, options, limits)
FileRunner = Callable[[Path, Path, Any, Limits], dict]


@dataclass(frozen=True)
class Operation:
    """One operation: how it is named, what options it takes, what runs it."""

    name: str  # the job's op and the API's path segment (``POST /api/v1/{name}``)
    options: type  # a frozen dataclass of ``common.options.option`` fields
    runner: str  # "module:function", a :data:`Runner`
    summary: str  # one line: OpenAPI summary and command-line help
    description: str = ""  # a paragraph for the command's help
    command: str = ""  # the command-line name when it differs (``strip`` for ``remove``)
    produces_file: bool = False  # a completed job has a cleaned file to download
    file_runner: str = ""  # "module:function", a :data:`FileRunner` (optional)
    examples: tuple[str, ...] = ()  # command lines shown in the command's help
    kinds: tuple[str, ...] = ("image",)  # what inputs it takes (worker.media.formats kinds)

    @property
    def cli_name(self) -> str:
        return self.command or self.name

    def parse_options(self, params: Mapping[str, object], *, strict: bool = True) -> Any:
        """The typed options from request or command-line ``params``; with ``strict``, a
        name this operation has no option for is a ``BadRequest``."""
        if strict:
            unknown = sorted(set(params) - set(opts.names(self.options)))
            if unknown:
                allowed = ", ".join(opts.names(self.options)) or "none"
                raise BadRequest(
                    f"unknown option for {self.name}: {', '.join(unknown)} (allowed: {allowed})"
                )
        return opts.parse(self.options, params)

    def options_from_json(self, data: Mapping[str, object]) -> Any:
        return opts.from_json(self.options, data)

    @cached_property
    def run(self) -> Runner:
        """The runner, imported on first use."""
        return _resolve(self.runner)

    @cached_property
    def run_file(self) -> FileRunner | None:
        return _resolve(self.file_runner) if self.file_runner else None


def _resolve(target: str) -> Callable:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
