"""XMP packets: the values ``keep`` may carry over (orientation, creator, rights).

XMP (ISO 16684-1) is RDF/XML; ``tiff:Orientation`` may be an attribute of an
``rdf:Description`` or a child element, ``dc:creator`` an ``rdf:Seq`` and
``dc:rights`` a language ``rdf:Alt`` (``x-default`` first). Parsed with
defusedxml, so entity tricks in a hostile packet fail instead of expanding.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .exif import Retained

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
TIFF = "{http://ns.adobe.com/tiff/1.0/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LOCAL_NAMES = {"orientation": (b"Orientation",), "copyright": (b"creator", b"rights")}


def read_xmp(packet: bytes | memoryview, retained: Retained, wanted: set[str]) -> None:
    """Offer the packet's orientation, creator and rights to ``retained`` (if it parses).

    A packet that doesn't even mention what the ``wanted`` groups need is not
    parsed (most photos' XMP says nothing of orientation).
    """
    packet = bytes(packet)
    if not any(name in packet for group in wanted for name in LOCAL_NAMES[group]):
        return
    try:
        root = fromstring(packet.strip(b"\x00 \t\r\n"))
    except (ParseError, DefusedXmlException, ValueError):
        return
    for description in root.iter(f"{RDF}Description"):
        orientation = description.get(f"{TIFF}Orientation") or _text(
            description.find(f"{TIFF}Orientation")
        )
        if orientation and orientation.strip().isdigit():
            retained.offer_orientation(int(orientation))
        creators = _items(description.find(f"{DC}creator"))
        rights = _items(description.find(f"{DC}rights"))
        retained.offer(
            artist="; ".join(creators).encode() or None,
            copyright=rights[0].encode() if rights else None,
        )


def _text(element: Element | None) -> str | None:
    return element.text if element is not None else None


def _items(prop: Element | None) -> list[str]:
    """The texts of an RDF container's ``rdf:li`` items, ``x-default`` first; a plain text alone."""
    if prop is None:
        return []
    items = [li for li in prop.iter(f"{RDF}li") if li.text and li.text.strip()]
    items.sort(key=lambda li: li.get(XML_LANG) != "x-default")
    texts = [li.text.strip() for li in items]
    if not texts and prop.text and prop.text.strip():
        texts = [prop.text.strip()]
    return texts
