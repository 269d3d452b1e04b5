"""Python literals for one generated module: compiled expressions, tags, sub-directories, tables.

:class:`ModuleWriter` collects what one family module (``canon.py``, ``exif.py``...)
holds: a function per distinct Perl expression (its Perl source as a comment above
it), a constant per lookup hash several tags share, and the ``Tag``/``SubDir``/
``Table`` literals (see :mod:`..tabletypes`) that refer to them. An expression
outside the translator's subset becomes ``P.untranslated(perl, reason)``: reaching it
is a reported failure, never a silent "no".
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from .perl2py import Unsupported, compile_perl

# Tag attributes holding Perl expressions -> ``Tag`` keyword
EXPR_FIELDS = {"Condition": "cond", "RawConv": "raw", "ValueConv": "conv", "Hook": "hook"}
SUBDIR_EXPR = {
    "Start": "start",
    "Base": "base",
    "Validate": "validate",
    "OffsetPt": "offset_pt",
    "DecryptStart": "decrypt_start",
    "DecryptLen": "decrypt_len",
}
SUBDIR_LITERALS = (
    ("DirName", "dir_name"),
    ("FixBase", "fix_base"),
    ("MaxSubdirs", "max_subdirs"),
    ("DirLen", "dir_len"),
    ("DirOffset", "dir_offset"),
)
TAG_LITERALS = (
    ("Mask", "mask"),
    ("BitShift", "bit_shift"),
    ("Priority", "priority"),
    ("DataMember", "data_member"),
    ("IsOffset", "is_offset"),
    ("SubIFD", "sub_ifd"),
    ("Writable", "writable"),
    ("List", "list_type"),
)
TAG_FLAGS = (
    "Unknown",
    "Binary",
    "MakerNotes",
    "Hidden",
    "NotIFD",
    "LargeTag",
    "Drop",
    "Struct",
    "Flat",
    "ConvertBinary",
)
_INT = re.compile(r"-?\d+")


def short(table: str) -> str:
    return table.removeprefix("Image::ExifTool::")


def package_of(table: str) -> str:
    """``Image::ExifTool::Canon::Main`` -> ``Canon`` (where unqualified calls resolve)."""
    parts = short(table).split("::")
    return parts[0] if len(parts) > 1 else ""


def tag_order(key: str) -> tuple:
    """Numeric tag IDs first, in numeric order, then named ones (XMP, PLIST) by name."""
    value = tag_key(key)
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, key)


def tag_key(key: str) -> object:
    if _INT.fullmatch(key):
        return int(key)
    if re.fullmatch(r"-?\d+\.\d+", key):
        return float(key)
    return key


def _literal(value: object) -> object:
    return int(value) if isinstance(value, str) and _INT.fullmatch(value) else value


def _comment(src: str) -> list[str]:
    lines = src.strip().replace("\r", "\\r").split("\n")
    return ["# " + line.rstrip() for line in lines]


class ModuleWriter:
    """Accumulates one generated module: compiled functions, shared hashes, literals."""

    def __init__(self, family: str, stats: Counter, untranslated: list) -> None:
        self.family = family
        self.funcs: dict[str, str] = {}
        self.code: list[str] = []
        self.constants: dict[int, str] = {}
        self.constant_code: list[str] = []
        self.literals: dict[str, str] = {}
        self.stats = stats
        self.untranslated = untranslated
        self.package = ""

    def func(self, src: str, where: str) -> str:
        """The name of the function for Perl ``src`` (or an ``untranslated`` stand-in)."""
        digest = hashlib.sha1(f"{self.package}\n{src}".encode()).hexdigest()[:10]
        name = f"_f{digest}"
        if name in self.funcs:
            return name
        try:
            code = compile_perl(src, name, self.package)
        except Unsupported as exc:
            self.stats["untranslated"] += 1
            self.untranslated.append({"where": where, "perl": src.strip(), "reason": str(exc)})
            return f"P.untranslated({src.strip()!r}, {str(exc)[:200]!r})"
        self.stats["compiled"] += 1
        self.funcs[name] = src
        self.code.append("\n".join([*_comment(src), code]))
        return name

    def constant(self, table: dict) -> str:
        """A module-level name for a hash several tags share (a lens list)."""
        name = self.constants.get(id(table))
        if name is None:
            name = self.constants[id(table)] = f"_H{len(self.constants)}"
            self.constant_code.append(f"{name} = {_hash_literal(table)}")
        return name

    def shared(self, literal: str) -> str:
        """A module-level name for a literal several tags repeat (an XMP structure)."""
        name = self.literals.get(literal)
        if name is None:
            name = self.literals[literal] = f"_S{len(self.literals)}"
            self.constant_code.append(f"{name} = {literal}")
        return name

    def hash_literal(self, table: dict) -> str:
        """A lookup hash: shared (long) ones by name, short ones inline."""
        return self.constant(table) if len(table) > 8 else _hash_literal(table)

    def expr(
        self, value: object, where: str, printing: bool = False, relist: object = None
    ) -> str | None:
        """Python for a conversion given as Perl, a named sub, a list or a hash."""
        if value is None:
            return None
        if isinstance(value, dict) and "perl" in value:
            return self.func(value["perl"], where)
        if isinstance(value, dict) and "code" in value:
            self.stats["named_code"] += 1
            return f"P.named({short(value['code'])!r})"
        if isinstance(value, list):
            parts = [self.list_item(v, where, printing) for v in value]
            separator = "; " if printing else " "
            extra = f", relist={relist!r}" if isinstance(relist, list) else ""
            return f"P.conv_list([{', '.join(parts)}], {separator!r}{extra})"
        if isinstance(value, dict) and "scalar_ref" in value:
            return None
        if isinstance(value, dict):
            if printing:
                return self.print_hash(value, where)
            return f"P.lookup({self.hash_literal(value)})"
        return self.func(str(value), where)

    def list_item(self, value: object, where: str, printing: bool) -> str:
        if value == "REPEAT":
            return "'REPEAT'"
        return self.expr(value, where, printing) or "None"

    def print_hash(self, value: dict, where: str, print_hex: bool = False, bits: int = 0) -> str:
        args = [self.hash_literal(value)]
        if isinstance(value.get("BITMASK"), dict):
            args.append(f"bitmask={_hash_literal(value['BITMASK'])}")
        if value.get("OTHER") is not None:
            other = self.expr(value["OTHER"], f"{where}.OTHER")
            if other:
                args.append(f"other={other}")
        if print_hex:
            args.append("print_hex=True")
        if bits:
            args.append(f"bits={bits}")
        return f"P.PrintHash({', '.join(args)})"


def _hash_literal(table: dict) -> str:
    """A lookup hash as a Python dict literal (nested code references are not lookups)."""
    clean = {
        str(k): v
        for k, v in table.items()
        if not isinstance(v, (dict, list)) and k not in ("Notes", "OTHER", "BITMASK")
    }
    return repr(clean)
