"""``Tag``, ``SubDir`` and ``Table`` literals of a generated module, from ExifTool's dump.

Each function turns one dumped hash (a tag definition, its ``SubDirectory``, a
table's attributes) into the Python that builds it (:mod:`..tabletypes`), with
its expressions compiled by :class:`.literals.ModuleWriter`.
"""

from __future__ import annotations

import re

from .literals import (
    EXPR_FIELDS,
    SUBDIR_EXPR,
    SUBDIR_LITERALS,
    TAG_FLAGS,
    TAG_LITERALS,
    ModuleWriter,
    short,
    tag_key,
    tag_order,
)

_INT = re.compile(r"-?\d+")


def _literal_args(source: dict, fields: tuple, args: list[str]) -> None:
    """Append ``attr=value`` for each present key (integers written as integers)."""
    for key, attr in fields:
        value = source.get(key)
        if value is None:
            continue
        if isinstance(value, str) and _INT.fullmatch(value):
            value = int(value)
        args.append(f"{attr}={value!r}")


def subdir_literal(sd: dict, w: ModuleWriter, where: str, known: set[str]) -> str | None:
    table = sd.get("TagTable")
    if table and table not in known:
        return None
    args = [repr(short(table)) if table else "None"]
    for key, attr in SUBDIR_EXPR.items():
        raw = sd.get(key)
        if raw is None:
            continue
        if isinstance(raw, str) and _INT.fullmatch(raw.strip()):
            args.append(f"{attr}={int(raw)}")
        else:
            args.append(f"{attr}={w.expr(raw, f'{where}.SubDirectory.{key}')}")
    if "ByteOrder" in sd:
        args.append(f"byte_order={sd['ByteOrder']!r}")
    if "ProcessProc" in sd:
        proc = sd["ProcessProc"]
        name = proc.get("code") if isinstance(proc, dict) else str(proc)
        args.append(f"proc={short(name)!r}")
    _literal_args(sd, SUBDIR_LITERALS, args)
    return "SubDir(" + ", ".join(args) + ")"


def _format_args(fmt: str, w: ModuleWriter, where: str) -> list[str]:
    """``Format => 'int16u[$val{0}]'``: the format and its (maybe computed) count."""
    m = re.fullmatch(r"(\w+)\[(.*)\]", fmt, re.S)
    if not m:
        return [f"fmt={fmt!r}"]
    size = m.group(2).strip()
    if re.fullmatch(r"\d+", size):
        return [f"fmt={m.group(1)!r}", f"fmt_count={int(size)}"]
    return [f"fmt={m.group(1)!r}", f"fmt_count={w.expr(size, f'{where}.Format')}"]


def _print_conv(info: dict, table_default: object, w: ModuleWriter, where: str) -> str | None:
    """The tag's ``PrintConv`` (else the table's ``PRINT_CONV``), as Python."""
    conv = info.get("PrintConv", table_default)
    if conv is None:
        return None
    if isinstance(conv, dict) and not ({"perl", "code", "scalar_ref"} & conv.keys()):
        bits = int(info["BitsPerWord"]) if str(info.get("BitsPerWord", "")).isdigit() else 0
        return w.print_hash(conv, f"{where}.PrintConv", bool(info.get("PrintHex")), bits)
    return w.expr(conv, f"{where}.PrintConv", printing=True, relist=info.get("Relist"))


def _expression_args(info: dict, w: ModuleWriter, where: str, table_print: object) -> list[str]:
    args = []
    for key, attr in EXPR_FIELDS.items():
        if info.get(key) is not None:
            fn = w.expr(info[key], f"{where}.{key}", relist=info.get("Relist"))
            if fn is not None:
                args.append(f"{attr}={fn}")
    printed = _print_conv(info, table_print, w, where)
    if printed is not None:
        args.append(f"print_conv={printed}")
    return args


def _flag_args(info: dict) -> list[str]:
    flags = sorted(key for key in TAG_FLAGS if info.get(key) not in (None, "0", 0, ""))
    args = [f"flags=frozenset({{{', '.join(map(repr, flags))}}})"] if flags else []
    groups = info.get("Groups")
    if isinstance(groups, dict) and groups.get("1"):
        args.append(f"group1={groups['1']!r}")
    return args


def struct_literal(struct: dict, w: ModuleWriter, where: str, depth: int = 0) -> str:
    """The name of an XMP structure's fields ``{field: Tag(...) or None}`` (``None``: a
    plain text field), each ``Tag`` with the field's ``Writable``, ``List``, conversions
    and nested structure, as ExifTool's flattened field tags carry them.

    Structures can refer to each other (ExifTool's ``sCorrection`` masks), so nesting
    stops after a few levels; a field deeper than that is read as an unknown one."""
    items = []
    for key, value in sorted(struct.items()):
        if key.isupper() or not isinstance(value, dict):
            continue  # NAMESPACE, STRUCT_NAME, TYPE, ...
        field_where = f"{where}.{key}"
        args = _expression_args(value, w, field_where, None)
        for perl_key, attr in (("Writable", "writable"), ("List", "list_type")):
            if value.get(perl_key) is not None:
                args.append(f"{attr}={value[perl_key]!r}")
        nested = value.get("Struct")
        if isinstance(nested, dict) and depth < 4:
            args.append(f"struct={struct_literal(nested, w, field_where, depth + 1)}")
        literal = f"Tag({', '.join([repr(key), *args])})" if args else "None"
        items.append(f"{key!r}: {literal}")
    return w.shared("{" + ", ".join(items) + "}")  # one object per distinct structure


def tag_literal(
    info: dict, w: ModuleWriter, where: str, known: set[str], table_print: object = None
) -> str | None:
    name = info.get("Name")
    if not name:
        return None
    args = [repr(name)]
    if info.get("Format"):
        args.extend(_format_args(info["Format"], w, where))
    if info.get("Count") is not None:
        args.append(f"count={_count(info['Count'])!r}")
    args.extend(_expression_args(info, w, where, table_print))
    sd = info.get("SubDirectory")
    if isinstance(sd, dict):
        lit = subdir_literal(sd, w, where, known)
        if lit:
            args.append(f"subdir={lit}")
    if info.get("Avoid") and info.get("Priority") is None:
        args.append("avoid=True")
    is_offset = info.get("IsOffset")
    if isinstance(is_offset, str) and not _INT.fullmatch(is_offset.strip()):
        # an expression (Canon's OriginalDecisionDataOffset: an offset only outside JPEG)
        fn = w.expr(is_offset, f"{where}.IsOffset")
        info = {k: v for k, v in info.items() if k != "IsOffset"}
        if fn is not None:
            args.append(f"is_offset={fn}")
    _literal_args(info, TAG_LITERALS, args)
    args.extend(_flag_args(info))
    if isinstance(info.get("Struct"), dict):
        args.append(f"struct={struct_literal(info['Struct'], w, f'{where}.Struct')}")
    return "Tag(" + ", ".join(args) + ")"


def _count(value: object) -> object:
    return int(value) if _INT.fullmatch(str(value)) else value


def _table_args(name: str, meta: dict) -> list[str]:
    proc = meta.get("PROCESS_PROC")
    groups = meta.get("GROUPS") or {}
    args = [repr(short(name)), f"group0={groups.get('0')!r}", f"group1={groups.get('1')!r}"]
    if isinstance(proc, dict) and proc.get("code"):
        args.append(f"proc={short(proc['code'])!r}")
    if meta.get("FORMAT"):
        args.append(f"fmt={meta['FORMAT']!r}")
    for key, attr in (("FIRST_ENTRY", "first_entry"), ("PRIORITY", "priority")):
        if meta.get(key) is not None:
            args.append(f"{attr}={int(meta[key])!r}")
    if meta.get("NAMESPACE"):
        ns = meta["NAMESPACE"]
        args.append(f"namespace={ns if isinstance(ns, str) else None!r}")
    if meta.get("SET_GROUP1"):
        args.append("set_group1=True")
    variables = meta.get("VARS")
    if isinstance(variables, dict):
        simple = {k: v for k, v in variables.items() if isinstance(v, (str, int, float))}
        if simple:
            args.append(f"variables={simple!r}")
    return args


def table_literal(name: str, table: dict, w: ModuleWriter, known: set[str]) -> str:
    meta = table.get("meta", {})
    table_print = meta.get("PRINT_CONV")
    entries = []
    for key, infos in sorted(table.get("tags", {}).items(), key=lambda kv: tag_order(kv[0])):
        tags = []
        for info in infos:
            where = f"{short(name)} {key} {info.get('Name', '?')}"
            lit = tag_literal(info, w, where, known, table_print)
            if lit:
                tags.append(lit)
        if tags:
            entries.append(f"        {tag_key(key)!r}: ({', '.join(tags)},),")
    return (
        f"    {short(name)!r}: Table(\n        "
        + ", ".join(_table_args(name, meta))
        + ",\n        tags={\n"
        + "\n".join("    " + e for e in entries)
        + "\n        },\n    ),"
    )
