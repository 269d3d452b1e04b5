"""The hosted APIs' own documentation (``../shared/seeds``) and the client code in it.

The adapter tests run the seeds' snippets as they are written, with only the
base URL (and the URLs of example images) replaced: :func:`python_blocks` and
:func:`shell_commands` cut them out of a seed's text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def seed_text(name: str) -> str:
    """A seed document's text; the calling test is skipped when the seeds are not here."""
    for folder in (REPO.parent / "shared" / "seeds", Path("/work/shared/seeds")):
        if (folder / name).is_file():
            return (folder / name).read_text()
    pytest.skip(f"seed {name} not found beside the repository (../shared/seeds)")


def substitute(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def python_blocks(text: str) -> list[tuple[str, str]]:
    """The Python example (from ``import requests`` to the next language) as (title, code)
    blocks, one per ``# title`` comment, each starting with the example's imports."""
    start = text.index("\nimport requests\n") + 1
    end = text.index("\n// ", start)
    lines = text[start:end].splitlines()
    header = [line for line in lines[: lines.index("") if "" in lines else 1] if line]
    blocks: list[tuple[str, list[str]]] = []
    for line in lines[len(header) :]:
        if line.startswith("# "):
            blocks.append((line[2:].strip(), []))
        elif blocks:
            blocks[-1][1].append(line)
    return [(title, "\n".join([*header, *body])) for title, body in blocks]


def shell_commands(text: str) -> list[tuple[str, str]]:
    """Every ``curl`` command (with its ``\\`` continuation lines and quoted arguments spanning
    lines) as (title, command); the title is the ``# comment`` above it, else the last
    ``POST/v2/...``-style heading."""
    commands, title, lines = [], "", text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# "):
            title = line[2:].strip()
        elif re.match(r"^(POST|GET)\s*/", line):
            title = line.strip()
        if line.startswith("curl "):
            command = [line]
            # continuation lines, then the rest of a quoted argument spanning lines
            while i + 1 < len(lines) and (
                command[-1].rstrip().endswith("\\") or "\n".join(command).count("'") % 2
            ):
                i += 1
                command.append(lines[i])
            commands.append((title, "\n".join(command)))
        i += 1
    return commands
