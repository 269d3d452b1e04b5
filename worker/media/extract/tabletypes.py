"""The shapes of the generated tag tables (``tables/``): tables, tags, sub-directories.

These mirror ExifTool's tag-table hashes (``lib/Image/ExifTool/README`` describes
every key); only the keys the extraction engine uses are kept. Expression fields
(``cond``, ``raw``, ``conv``, ``print_conv``, ...) are Python functions of one
:class:`~worker.media.extract.perl.Env`, translated from ExifTool's Perl.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Expr = Callable[[Any], Any]


class SubDir:
    """Where a tag's value is itself a directory (ExifTool ``SubDirectory``)."""

    __slots__ = (
        "base",
        "byte_order",
        "decrypt_len",
        "decrypt_start",
        "dir_len",
        "dir_name",
        "dir_offset",
        "fix_base",
        "max_subdirs",
        "offset_pt",
        "proc",
        "start",
        "table",
        "validate",
    )

    def __init__(
        self,
        table: str | None,
        *,
        start: Expr | int | None = None,
        base: Expr | int | None = None,
        validate: Expr | None = None,
        offset_pt: Expr | int | None = None,
        decrypt_start: Expr | int | None = None,
        decrypt_len: Expr | int | None = None,
        byte_order: str | None = None,
        proc: str | None = None,
        dir_name: str | None = None,
        fix_base: object = None,
        max_subdirs: int | None = None,
        dir_len: int | None = None,
        dir_offset: int | None = None,
    ) -> None:
        self.table = table
        self.start = start
        self.base = base
        self.validate = validate
        self.offset_pt = offset_pt
        self.decrypt_start = decrypt_start
        self.decrypt_len = decrypt_len
        self.byte_order = byte_order
        self.proc = proc
        self.dir_name = dir_name
        self.fix_base = fix_base
        self.max_subdirs = max_subdirs
        self.dir_len = dir_len
        self.dir_offset = dir_offset  # Nikon: where the directory starts in the decrypted data


class Tag:
    """One tag definition; a table maps an ID to a tuple of alternatives tried in order."""

    __slots__ = (
        "avoid",
        "bit_shift",
        "cond",
        "conv",
        "count",
        "data_member",
        "flags",
        "fmt",
        "fmt_count",
        "group1",
        "hook",
        "is_offset",
        "list_type",
        "mask",
        "name",
        "print_conv",
        "priority",
        "raw",
        "struct",
        "sub_ifd",
        "subdir",
        "table",
        "writable",
    )

    def __init__(
        self,
        name: str,
        *,
        fmt: str | None = None,
        fmt_count: Expr | int | None = None,
        avoid: bool = False,
        count: int | str | None = None,
        cond: Expr | None = None,
        raw: Expr | None = None,
        conv: Expr | None = None,
        print_conv: Expr | None = None,
        hook: Expr | None = None,
        subdir: SubDir | None = None,
        mask: int | None = None,
        bit_shift: int | None = None,
        priority: int | None = None,
        data_member: str | None = None,
        is_offset: object = None,
        sub_ifd: object = None,
        writable: object = None,
        list_type: str | None = None,
        flags: frozenset[str] = frozenset(),
        group1: str | None = None,
        struct: dict | None = None,
    ) -> None:
        self.name = name
        self.fmt = fmt
        self.fmt_count = fmt_count
        self.avoid = avoid
        self.count = count
        self.cond = cond
        self.raw = raw
        self.conv = conv
        self.print_conv = print_conv
        self.hook = hook
        self.subdir = subdir
        self.mask = mask
        self.bit_shift = bit_shift
        self.priority = priority
        self.data_member = data_member
        self.is_offset = is_offset
        self.sub_ifd = sub_ifd
        self.writable = writable
        self.list_type = list_type
        self.flags = flags
        self.group1 = group1
        self.struct = struct
        self.table = ""  # the name of the table holding it (set by Table)

    @property
    def unknown(self) -> bool:
        return "Unknown" in self.flags

    def where(self, field: str) -> tuple[str, str, str]:
        """(table, tag, field): where an expression of this tag is, for failure reports."""
        return (self.table, self.name, field)

    def __repr__(self) -> str:
        return f"Tag({self.name!r})"


class Table:
    """A tag table: its groups, how its directory is processed, and its tags by ID."""

    __slots__ = (
        "_sorted_ids",
        "first_entry",
        "fmt",
        "group0",
        "group1",
        "name",
        "namespace",
        "priority",
        "proc",
        "set_group1",
        "tags",
        "variables",
    )

    def __init__(
        self,
        name: str,
        *,
        group0: str | None = None,
        group1: str | None = None,
        proc: str | None = None,
        fmt: str | None = None,
        first_entry: int | None = None,
        priority: int | None = None,
        namespace: str | None = None,
        set_group1: bool = False,
        variables: dict | None = None,
        tags: dict[object, tuple[Tag, ...]],
    ) -> None:
        self.name = name
        self.group0 = group0
        self.group1 = group1
        self.proc = proc
        self.fmt = fmt
        self.first_entry = first_entry
        self.priority = priority
        self.namespace = namespace
        self.set_group1 = set_group1
        self.variables = variables or {}
        self.tags = tags
        self._sorted_ids: list | None = None
        for alternatives in tags.values():
            for tag in alternatives:
                tag.table = name
                if tag.struct:
                    _name_fields(tag.struct, f"{name}:{tag.name}", 0)

    def binary_ids(self) -> list:
        """Numeric tag IDs in ExifTool's processing order (negative ones last)."""
        if self._sorted_ids is None:
            ids = [k for k in self.tags if isinstance(k, (int, float))]
            self._sorted_ids = sorted(ids, key=lambda k: k + 1e9 if k < 0 else k)
        return self._sorted_ids

    def __repr__(self) -> str:
        return f"Table({self.name!r})"


def _name_fields(struct: dict, where: str, depth: int) -> None:
    """Give an XMP structure's field tags their place (``table:Tag``), for failure reports."""
    for field in struct.values():
        if field is not None and depth < 8:
            field.table = where
            if field.struct:
                _name_fields(field.struct, f"{where}/{field.name}", depth + 1)
