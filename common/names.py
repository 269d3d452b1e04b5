"""The names the service keeps for the file names clients send (multipart ``filename``).

One place for the rules, because both sides use them: the API when it names
jobs and batch items, the CLI when it predicts those names (to find a
batch item's local file and to refuse two inputs that would share a name).
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 255


def _printable(text: str) -> str:
    """``text`` without control or format characters (Unicode category C), trimmed."""
    if text.isascii() and text.isprintable():  # the usual name: no character of category C
        return text.strip()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def clean_file_name(name: str | None, default: str = "upload") -> str:
    """The client's file name without directories or control characters (at most 255)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = _printable(base)[:MAX_NAME]
    return printable if printable.strip(". ") else default


def relative_name(name: str | None, default: str = "upload") -> str:
    """The client's file name as a safe relative path: ``\\`` read as ``/``; in each part
    control and format characters removed and spaces trimmed; parts that are empty or only
    dots and spaces dropped; the last 255 characters."""
    parts = (_printable(part) for part in (name or "").replace("\\", "/").split("/"))
    return "/".join(p for p in parts if p.strip(". "))[-MAX_NAME:].lstrip("/") or default
