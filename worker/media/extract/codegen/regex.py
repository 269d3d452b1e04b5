"""Perl regular expressions in ``re`` syntax (perlre): the escapes and classes ``re`` spells
differently, and the flags."""

from __future__ import annotations

import re

from .lexer import Unsupported

_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "space": r"\s",
    "upper": "A-Z",
    "lower": "a-z",
    "print": r"\x20-\x7e",
    "xdigit": "0-9a-fA-F",
    "punct": r"!-/:-@\[-`{-~",
    "cntrl": r"\x00-\x1f",
}
_POSIX_RE = re.compile(r"\[\[:(\^?)(\w+):\]\]")
_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
_SIMPLE_ESCAPES = {"z": r"\Z", "Z": r"(?=\n?\Z)", "h": r"[ \t]", "H": r"[^ \t]", "/": "/"}


def _escape(pat: str, i: int) -> tuple[str, int]:
    """The ``re`` spelling of the escape at ``pat[i]`` (a backslash) and where it ends."""
    n = pat[i + 1]
    if n in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[n], i + 2
    if n == "0" and not (i + 2 < len(pat) and pat[i + 2] in "01234567"):
        return r"\x00", i + 2
    if n == "x" and i + 2 < len(pat) and pat[i + 2] == "{":
        j = pat.index("}", i)
        code = int(pat[i + 3 : j], 16)
        return (f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"), j + 1
    return pat[i : i + 2], i + 2


def _piece(pat: str, i: int) -> tuple[str, int]:
    """Translate the construct starting at ``pat[i]``; return it and the next index."""
    c = pat[i]
    if c == "\\" and i + 1 < len(pat):
        return _escape(pat, i)
    if c == "$" and (i + 1 == len(pat) or pat[i + 1] in ")|"):
        return "$", i + 1
    if pat.startswith("(?<", i) and i + 3 < len(pat) and pat[i + 3] not in "=!":
        return "(?P<", i + 3
    if pat.startswith("[[:", i):
        m = _POSIX_RE.match(pat, i)
        if not m or m.group(2) not in _POSIX:
            raise Unsupported("posix class")
        return f"[{m.group(1)}{_POSIX[m.group(2)]}]", m.end()
    return c, i + 1


def regex_flags(flags: str) -> int:
    """``re`` flags for Perl's ``imsx`` (``g``, ``c``, ``e``, ``o`` change no matching)."""
    py_flags = 0
    for f in flags:
        if f in _FLAGS:
            py_flags |= _FLAGS[f]
        elif f not in "gceor":
            raise Unsupported(f"regex flag {f}")
    return int(py_flags)


def regex_to_python(pat: str, flags: str) -> tuple[str, int]:
    """Translate a Perl regex into ``re`` syntax and flags."""
    if re.search(r"(?<!\\)\$(?![)|]|$)\w", pat) or "(?{" in pat or "\\G" in pat:
        raise Unsupported(f"regex with interpolation: {pat}")
    out = []
    i = 0
    while i < len(pat):
        piece, i = _piece(pat, i)
        out.append(piece)
    py_flags = regex_flags(flags)
    text = "".join(out)
    try:
        re.compile(text, py_flags)
    except re.error as exc:
        raise Unsupported(f"regex {pat!r}: {exc}") from None
    return text, py_flags
