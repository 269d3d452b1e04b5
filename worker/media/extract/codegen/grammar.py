"""Shared pieces of the translator: the compiled-fragment :class:`Node` and Perl's builtins.

Named unary operators bind tighter than comparison (perlop "Named Unary Operators");
``_BUILTIN`` maps each builtin we translate to its helper in
:mod:`worker.media.extract.perl`.
"""

from __future__ import annotations

_NAMED_UNARY = {
    "defined",
    "length",
    "lc",
    "uc",
    "lcfirst",
    "ucfirst",
    "ord",
    "chr",
    "hex",
    "oct",
    "int",
    "abs",
    "sqrt",
    "log",
    "exp",
    "sin",
    "cos",
    "ref",
    "scalar",
    "chomp",
    "chop",
    "quotemeta",
    "undef",
    "exists",
    "delete",
    "fc",
}
_LIST_FUNCS = {
    "join",
    "split",
    "sprintf",
    "substr",
    "unpack",
    "pack",
    "push",
    "unshift",
    "shift",
    "pop",
    "splice",
    "reverse",
    "sort",
    "index",
    "rindex",
    "atan2",
    "printf",
    "return",
    "keys",
    "values",
    "wantarray",
    "die",
    "warn",
    "lcfirst",
    "abs",
    "int",
}
_BUILTIN = {
    "defined": "P.defined",
    "length": "P.length",
    "lc": "P.lc",
    "uc": "P.uc",
    "lcfirst": "P.lcfirst",
    "ucfirst": "P.ucfirst",
    "ord": "P.ord_",
    "chr": "P.chr_",
    "hex": "P.hex_",
    "oct": "P.oct_",
    "int": "P.int_",
    "abs": "P.abs_",
    "sqrt": "P.sqrt",
    "log": "P.log",
    "exp": "P.exp",
    "sin": "P.sin",
    "cos": "P.cos",
    "atan2": "P.atan2",
    "join": "P.join",
    "sprintf": "P.sprintf",
    "substr": "P.substr",
    "unpack": "P.unpack",
    "pack": "P.pack",
    "index": "P.index",
    "rindex": "P.rindex",
    "reverse": "P.reverse",
    "sort": "P.sort",
    "quotemeta": "P.quotemeta",
    "scalar": "P.scalar",
    "ref": "P.ref",
    "fc": "P.lc",
}


class Node:
    """Compiled fragment: ``py`` is Python source; ``kind`` says how it behaves in Perl."""

    __slots__ = ("kind", "list_py", "lvalue", "py", "scalar_py", "target")

    def __init__(
        self,
        py: str,
        kind: str = "scalar",
        lvalue: str | None = None,
        scalar_py: str | None = None,
        list_py: str | None = None,
    ) -> None:
        self.py = py
        self.kind = kind  # scalar | list | array (named @var, assignable)
        self.lvalue = lvalue  # python expression of a setter prefix when assignable
        self.scalar_py = scalar_py  # what a list-kind node means in scalar context, if special
        self.list_py = list_py  # what a scalar-kind node means in list context, if special
        # what an element or a slice is part of, for ``delete`` and ``foreach`` aliasing:
        # ("hash", base, key), ("array", base, index) or ("slice", array, index list)
        self.target: tuple[str, str, str] | None = None


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
