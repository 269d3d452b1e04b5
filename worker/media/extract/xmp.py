"""XMP packets parsed safely (defusedxml) into ``prefix:Name`` keys, as ExifTool names them.

An XMP packet is RDF/XML (XMP Specification Part 1 §7): ``rdf:Description``
elements whose attributes and child elements are properties; a property is a
simple value, a structure (``rdf:parseType="Resource"`` or a nested
``rdf:Description``) or an array (``rdf:Bag``/``rdf:Seq``/``rdf:Alt`` of ``rdf:li``).

Names follow ExifTool (``-G1 -struct``): the group is ExifTool's standard prefix
for the namespace URI (``http://purl.org/dc/elements/1.1/`` -> ``dc``), the tag
name comes from ExifTool's XMP tables (``exif:PixelXDimension`` ->
``ExifImageWidth``) or is the property name with its first letter capitalised,
structures become objects with capitalised field names, arrays become lists, and
``rdf:Alt`` language alternatives give ``Name`` (x-default) and ``Name-xx``.
Values convert as ExifTool converts them: rationals to numbers, ISO dates to
``YYYY:mm:dd HH:MM:SS``, plus each table's ``ValueConv`` (GPS coordinates to signed
degrees, ...); text that is a plain number becomes a JSON number.

XML parsing uses ``defusedxml``: internal entity declarations (billion laughs,
quadratic blow-up) are refused as :class:`~common.errors.DecompressionBomb`; a
packet that refers to an external entity (XXE) is skipped with a warning (it is
never resolved, so it is no bomb: the rest of the file is read); a packet that
is not well-formed XML (junk after the root, an unclosed token, ``/`` in a name,
an undeclared prefix) is read as ExifTool's scanner reads it (:mod:`.xmprecover`),
with ExifTool's warnings.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from common.errors import DecompressionBomb

from . import perl as P
from .exiftool_funcs import convert_xmp_date
from .tables import active, get_table
from .tabletypes import Tag
from .tagstore import decode_text, to_json

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
X_NS = "adobe:ns:meta/"
MAX_DEPTH = 32
MAX_XMP_BYTES = 32 * 1024 * 1024

_namespaces: tuple[object, dict[str, str], dict[str, str]] | None = None


def _prefixes() -> tuple[dict[str, str], dict[str, str]]:
    """ExifTool's URI -> prefix and old-prefix -> standard-prefix maps (of the tables in use)."""
    global _namespaces
    tables = active()
    if _namespaces is None or _namespaces[0] is not tables:
        ns_uri, std_xlat = tables.xmp_namespaces()
        to_prefix = {uri: prefix for prefix, uri in ns_uri.items()}
        to_prefix.setdefault("http://ns.exiftool.ca/1.0/", "et")
        _namespaces = (tables, to_prefix, std_xlat)
    return _namespaces[1], _namespaces[2]


_JSON_NUMBER = re.compile(r"-?(\d|[1-9]\d{1,14})(\.\d{1,16})?([eE][-+]?\d{1,3})?")
_RATIONAL = re.compile(r"(-?\d+)/(-?\d+)")


class XmpError(Exception):
    """The packet is not usable XMP (malformed XML)."""


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ENCODING_DECL = re.compile(rb"(<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")


def normalize_packet(packet: bytes) -> bytes:
    """The packet as UTF-8 XML starting at its first tag (XMP Part 3 §1.1 allows UTF-16/32)."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\x00<\x00?", "utf-16-be"),
        (b"<\x00?\x00", "utf-16-le"),
        (b"\x00<\x00x", "utf-16-be"),
        (b"<\x00x\x00", "utf-16-le"),
    ):
        if packet.startswith(bom):
            text = packet.decode(codec, "replace").lstrip("\ufeff")
            packet = _ENCODING_DECL.sub(rb"\1", text.encode("utf-8"))
            break
    start = packet.find(b"<")
    if start < 0:
        raise XmpError("no XML in XMP packet")
    return packet[start:].rstrip(b"\x00 \t\r\n")


def parse_packet(packet: bytes) -> tuple[Element, list[str]]:
    """Parse one XMP packet with entity expansion and external references refused.

    A packet that is not well-formed only because of stray control bytes (NUL
    padding inside the packet, seen in files edited in place) is parsed again
    without them; one that is still not well-formed is read as ExifTool's scanner
    reads it (:func:`.xmprecover.recover`, which returns ExifTool's warnings).
    """
    # the XML parsers are imported with the first packet (a file without XMP needs none)
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import fromstring

    from .xmprecover import recover

    if len(packet) > MAX_XMP_BYTES:
        raise XmpError("XMP packet too large")
    text = normalize_packet(packet)
    for attempt in (text, _CONTROL.sub(b"", text)):
        try:
            root = fromstring(attempt, forbid_dtd=False, forbid_entities=True, forbid_external=True)
            return root, []
        except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
            if isinstance(exc, ExternalReferenceForbidden) or exc.sysid or exc.pubid:
                raise XmpError(
                    "XMP packet skipped: it refers to an external entity (XXE)"
                ) from None
            raise DecompressionBomb(
                "XMP refused: it declares entities (possible XML bomb)"
            ) from None
        except DefusedXmlException:
            raise DecompressionBomb("XMP refused: it declares a DTD (possible XML bomb)") from None
        except (ParseError, ValueError, RecursionError):
            pass
    return recover(text.decode("utf-8", "replace"))


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag


class XmpReader:
    """Accumulates properties from one or more packets into ``{"prefix:Name": value}``."""

    def __init__(self, printed: bool = False) -> None:
        self.printed = printed  # apply each tag's PrintConv (values="printed")
        self.values: dict[str, object] = {}
        self.warnings: list[str] = []
        self.doc_prefixes: dict[str, str] = {}

    # ------------------------------------------------------------------ entry
    def read(self, packet: bytes) -> None:
        try:
            root, warnings = parse_packet(packet)
        except XmpError as exc:
            self.warnings.append(str(exc))
            return
        self.warnings.extend(warnings)
        self._prefixes(packet)
        for meta in (root, *root):
            for key, value in meta.attrib.items():
                # the toolkit attribute, and its name in XMP before 2002 (x:xapmeta x:xaptk)
                if _split(key) in ((X_NS, "xmptk"), (X_NS, "xaptk")):
                    self._store("x", "xmptk", value, ())
        for rdf in root.iter(f"{{{RDF}}}RDF"):
            for desc in rdf:
                if desc.tag != f"{{{RDF}}}Description":
                    continue
                about = desc.get(f"{{{RDF}}}about")
                if about:
                    self._store("rdf", "about", about, ())
                self._properties(desc)

    def _prefixes(self, packet: bytes) -> None:
        for prefix, uri in re.findall(rb'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']', packet):
            self.doc_prefixes.setdefault(
                uri.decode("utf-8", "replace"), prefix.decode("utf-8", "replace")
            )

    def _properties(self, desc: Element) -> None:
        for key, value in desc.attrib.items():
            uri, local = _split(key)
            if uri in (RDF, "") or key == XML_LANG:
                continue
            self._store_uri(uri, local, value)
        for child in desc:
            uri, local = _split(child.tag)
            if uri == RDF:
                continue
            value = self._value(child, 0)
            if value is not None:
                self._store_uri(uri, local, value)

    # ------------------------------------------------------------------ RDF values
    def _value(self, el: Element, depth: int) -> object:
        if depth > MAX_DEPTH:
            return None
        if el.get(f"{{{RDF}}}parseType") == "Resource":
            return self._struct(el, depth)
        resource = el.get(f"{{{RDF}}}resource")
        children = list(el)
        for child in children:
            kind = child.tag
            if kind in (f"{{{RDF}}}Bag", f"{{{RDF}}}Seq"):
                return [v for v in (self._item(li, depth) for li in child) if v is not None]
            if kind == f"{{{RDF}}}Alt":
                return LangAlt((li.get(XML_LANG), self._item(li, depth)) for li in child)
            if kind == f"{{{RDF}}}Description":
                return self._struct(child, depth)
            if kind == f"{{{RDF}}}value":
                return child.text or ""
        if children:
            return self._struct(el, depth)
        if resource is not None:
            return resource
        attrs = {
            k: v for k, v in el.attrib.items() if _split(k)[0] not in (RDF, "") and k != XML_LANG
        }
        if attrs and not (el.text or "").strip():
            return self._struct(el, depth)
        return el.text or ""

    def _item(self, li: Element, depth: int) -> object:
        return self._value(li, depth + 1)

    def _struct(self, el: Element, depth: int) -> dict | str:
        out: dict[str, object] = {}
        for key, value in el.attrib.items():
            uri, local = _split(key)
            if uri in (RDF, "") or key == XML_LANG:
                continue
            out[_field_name(local)] = value
        for child in el:
            uri, local = _split(child.tag)
            if uri == RDF and local == "Description":
                out.update(self._struct(child, depth + 1))
                continue
            if uri == RDF:
                continue
            value = self._value(child, depth + 1)
            if value is not None:
                out[_field_name(local)] = value
        if not out and el.get(f"{{{RDF}}}parseType") == "Resource":
            return el.text or ""  # an empty structure reads as its (blank) text, as in ExifTool
        return out

    # ------------------------------------------------------------------ naming & conversion
    def _store_uri(self, uri: str, local: str, value: object) -> None:
        to_prefix, std_xlat = _prefixes()
        prefix = to_prefix.get(uri) or self.doc_prefixes.get(uri)
        if prefix is None:
            from .xmprecover import UNDECLARED

            prefix = uri[len(UNDECLARED) :] if uri.startswith(UNDECLARED) else "unknown"
        prefix = std_xlat.get(prefix, prefix)
        self._store(prefix, local, value, ())

    def _store(self, prefix: str, local: str, value: object, path: tuple) -> None:
        tag = _lookup(prefix, local)
        name = tag.name if tag is not None else _field_name(local)
        if isinstance(value, LangAlt):
            for lang, text in value.items:
                key = name if not lang or lang.lower() == "x-default" else f"{name}-{lang}"
                self.values[f"{prefix}:{key}"] = self._convert(tag, text)
            return
        self.values[f"{prefix}:{name}"] = self._convert(tag, value)

    def _convert(self, tag: Tag | None, value: object) -> object:
        if isinstance(value, list):
            return [self._convert(tag, v) for v in value]
        if isinstance(value, dict):
            return self._fields(value, tag.struct if tag is not None else None)
        if isinstance(value, LangAlt):
            return self._convert(tag, _default_lang(value))
        text = _auto_convert(value, tag is None, getattr(tag, "writable", None))
        # a Perl error keeps the text (ExifTool would still show the raw value)
        converted = self._tag_conversions(tag, text) if tag is not None else text
        return _plain(converted)

    def _fields(self, value: dict, struct: dict | None) -> dict:
        """A structure's fields converted as ExifTool converts its flattened field tags: by
        the type and conversions in the structure's definition (``struct``:
        ``{field: Tag or None}``, ``None`` for a plain text field; ``struct`` is ``None``
        for a structure ExifTool does not define, whose fields are auto-converted)."""
        known = {_field_name(k): spec for k, spec in (struct or {}).items()}
        out = {k: self._field_value(v, known.get(k, _UNKNOWN_FIELD)) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None}  # a RawConv's undef drops it

    def _field_value(self, value: object, field: Tag | None) -> object:
        if isinstance(value, list):
            return [self._field_value(v, field) for v in value]
        if isinstance(value, dict):
            return self._fields(value, field.struct if field is not None else None)
        if isinstance(value, LangAlt):
            return self._field_value(_default_lang(value), field)
        unknown = field is _UNKNOWN_FIELD
        text = _auto_convert(value, unknown, field.writable if field is not None else None)
        if field is not None and not unknown:
            text = self._tag_conversions(field, text)
        return _plain(text)

    def _tag_conversions(self, tag: Tag, value: object) -> object:
        """The tag's ``RawConv``, ``ValueConv`` and, for printed values, ``PrintConv``."""
        steps = [("RawConv", tag.raw), ("ValueConv", tag.conv)]
        if self.printed:
            steps.append(("PrintConv", tag.print_conv))
        for field, conv in steps:
            binary = isinstance(value, P.Ref) and field != "RawConv"  # as ExifTool: not converted
            if conv is not None and value is not None and not binary:
                value = P.convert(conv, value, {}, default=value, where=tag.where(field))
            if field == "ValueConv" and "Binary" in tag.flags and isinstance(value, str):
                value = P.Ref(value)  # as ExifTool: "(Binary data N bytes)"
        return value


def _auto_convert(value: object, unknown: bool, writable: str | None) -> object:
    """ExifTool's conversion of an XMP value by its type: ``a/b`` to a number for a
    ``rational`` and ISO dates for a ``date``; a property (or structure field) ExifTool's
    tables do not know gets both (its ``XMPAutoConv``), a known one of another type neither."""
    text = P.pstr(value).encode("utf-8").decode("latin-1")  # Perl byte semantics
    if unknown or writable == "rational":
        m = _RATIONAL.fullmatch(text.strip())
        if m:
            num, den = int(m.group(1)), int(m.group(2))
            return P.div(num, den) if den else ("inf" if num else "undef")
    if unknown or writable == "date":
        return convert_xmp_date(P.Env(), text, unknown)
    return text


_UNKNOWN_FIELD = Tag("")  # a field the structure's definition lacks


def _default_lang(value: LangAlt) -> object:
    for lang, text in value.items:
        if not lang or lang.lower() == "x-default":
            return text
    return value.items[0][1] if value.items else ""


class LangAlt:
    """An ``rdf:Alt`` of language alternatives: ``(lang, value)`` pairs."""

    def __init__(self, items) -> None:
        self.items = [(lang, value) for lang, value in items if value is not None]


def _plain(value: object) -> object:
    """A converted value (Perl bytes) as JSON, with ExifTool's JSON rules for numbers/booleans."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        text = decode_text(value)
        if text in ("True", "False", "true", "false"):
            return text.lower() == "true"
        if _JSON_NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if re.fullmatch(r"-?\d+", text) else number
        return text
    return to_json(value)


def _field_name(local: str) -> str:
    name = re.sub(r"[^-\w]", "", local)
    return name[:1].upper() + name[1:] if name else "Unknown"


def _lookup(prefix: str, local: str):
    main = get_table("XMP::Main")
    entry = main.tags.get(prefix) if main else None
    if not entry or entry[0].subdir is None or entry[0].subdir.table is None:
        return None
    table = get_table(entry[0].subdir.table)
    if table is None:
        return None
    alternatives = table.tags.get(local)
    if not alternatives:
        return None
    return alternatives[0]


def read_xmp(packets: list[bytes], printed: bool = False) -> tuple[dict[str, object], list[str]]:
    """All packets' properties (later packets win on the same key) and warnings; ``printed``
    applies each tag's ``PrintConv`` as ``exiftool`` without ``-n`` does."""
    reader = XmpReader(printed)
    for packet in packets:
        reader.read(packet)
    return reader.values, reader.warnings
