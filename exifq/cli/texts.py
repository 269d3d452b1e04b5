"""Help text for people: every command has a one-line summary, a description and examples.

:func:`add_command` is how a module adds its sub-command, so that ``exifq
--help`` lists it with its summary and ``exifq COMMAND --help`` shows what it
does, an example or two and the exit statuses; ``tests/unit/test_cli_help.py``
checks every command (and every flag) has its text.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence

from exifq.cli import report

RAW = argparse.RawDescriptionHelpFormatter
WIDTH = 78


def examples(*lines: str) -> str:
    """``examples:`` then each command line, indented (a comment after ``#`` stays)."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def paragraphs(*texts: str) -> str:
    """Each text wrapped to the terminal's usual width, a blank line between them."""
    return "\n\n".join(textwrap.fill(" ".join(text.split()), WIDTH) for text in texts)


def add_command(
    commands: argparse._SubParsersAction,
    name: str,
    *,
    summary: str,
    description: str | Sequence[str],
    example_lines: Sequence[str],
    exit_codes: bool = False,
) -> argparse.ArgumentParser:
    """A sub-command with its summary (in ``exifq --help``), description (paragraphs,
    re-wrapped) and examples (and the exit statuses when ``exit_codes``)."""
    texts = [description] if isinstance(description, str) else list(description)
    epilog = examples(*example_lines)
    if exit_codes:
        epilog += "\n\n" + report.epilog()
    return commands.add_parser(
        name,
        help=summary,
        description=paragraphs(*texts),
        epilog=epilog,
        formatter_class=RAW,
    )
