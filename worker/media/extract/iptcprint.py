"""Printed IPTC values (``values="printed"``): each dataset's ``PrintConv`` from ExifTool's tables.

:func:`.iptc.read_iptc` gives the values as ``exiftool -n`` does; this applies the
``PrintConv`` of the tag of the same name (``CodedCharacterSet`` ``ESC % G`` ->
``UTF8``, ``Urgency`` 5 -> ``5 (normal urgency)``), item by item for lists.
"""

from __future__ import annotations

from . import perl as P
from .iptc import RECORD_TABLES
from .tables import get_table
from .tabletypes import Tag
from .tagstore import printed_json


def _tags_by_name() -> dict[str, Tag]:
    found: dict[str, Tag] = {}
    for record in sorted(RECORD_TABLES):
        table = get_table(RECORD_TABLES[record])
        for alternatives in table.tags.values() if table else ():
            for tag in alternatives:
                found.setdefault(tag.name, tag)
    return found


def printed_iptc(values: dict[str, object]) -> dict[str, object]:
    """``values`` (from :func:`.iptc.read_iptc`) with each tag's ``PrintConv`` applied."""
    tags = _tags_by_name()
    out = {}
    for name, value in values.items():
        tag = tags.get(name)
        if tag is None or tag.print_conv is None:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [_printed(tag, item) for item in value]
        else:
            out[name] = _printed(tag, value)
    return out


def _printed(tag: Tag, value: object) -> object:
    if isinstance(value, str) and value.startswith("(Binary data "):
        return value
    perl_value = value.encode("utf-8").decode("latin-1") if isinstance(value, str) else value
    converted = P.convert(tag.print_conv, perl_value, {}, where=tag.where("PrintConv"))
    return value if converted is None else printed_json(converted)
