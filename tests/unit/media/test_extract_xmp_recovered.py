"""XMP that a strict XML parser rejects but ExifTool reads (issue 11): we read what it reads.

Each packet is a well-formed XMP packet broken in one way seen in real files (junk
after the root element, a token never closed, ``/`` inside an element name, an
undeclared prefix, a bare ``&``, a closing tag with another name); ExifTool cannot
write such packets, so they are put into a JPEG's APP1 segment byte by byte. Every
XMP tag each ExifTool version reads from the file must agree, and ExifTool's format
warning must be ours too. An entity declaration is still refused (no expansion).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.built_files import compared, jpeg_with_xmp
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import tables
from worker.media.extract.xmprecover import recover, unescape

HEAD = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Test toolkit">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmp:Rating="3">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">A &amp; B</rdf:li></rdf:Alt></dc:title>
<dc:subject><rdf:Bag><rdf:li>one</rdf:li><rdf:li>two</rdf:li></rdf:Bag></dc:subject>
<exif:FNumber>28/10</exif:FNumber>
"""
TAIL = b"""</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
CITY = b"<photoshop:City>Bern</photoshop:City>\n"

PACKETS = {
    "junk after the root": HEAD + CITY + TAIL + b"\n</x:xmpmeta>garbage < & >",
    "a second, truncated root": HEAD + TAIL + b"\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",
    "an unclosed token": HEAD
    + CITY
    + b"<photoshop:State>Vaud\n<xmp:Label>Red</xmp:Label>\n"
    + TAIL,
    "an unclosed token, then another description": (
        HEAD + b"<photoshop:City>Bern\n</rdf:Description>\n<rdf:Description rdf:about='' "
        b"xmlns:xmp='http://ns.adobe.com/xap/1.0/' xmp:Label='Blue'/>\n</rdf:RDF></x:xmpmeta>"
    ),
    "a closing tag with another name": HEAD + b"<photoshop:City>Bern</photoshop:Cty>\n" + TAIL,
    "a slash in an element name": (
        HEAD + CITY + b"<xmp:Some/Name>val</xmp:Some/Name>\n<xmp:Label>Green</xmp:Label>\n" + TAIL
    ),
    "an undeclared prefix": HEAD + b"<foo:Bar>baz</foo:Bar>" + CITY + TAIL,
    "a bare ampersand": HEAD
    + b"<photoshop:City>Bern & Z&#252;rich &lt;x&gt;</photoshop:City>"
    + TAIL,
    "a nested structure": HEAD
    + b"""<xmp:Thumbnails><rdf:Alt><rdf:li rdf:parseType="Resource">
<xmpGImg:format xmlns:xmpGImg="http://ns.adobe.com/xap/1.0/g/img/">JPEG</xmpGImg:format>
</rdf:li></rdf:Alt></xmp:Thumbnails>"""
    + TAIL
    + b"junk",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("xmp-recovered")
    out = {}
    for i, (name, packet) in enumerate(PACKETS.items()):
        out[name] = base / f"case{i}.jpg"
        out[name].write_bytes(jpeg_with_xmp(packet))
    return out


@pytest.mark.parametrize("case", sorted(PACKETS))
def test_recovered_xmp_agrees_with_exiftool(
    files: dict[str, Path],
    case: str,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    reference, metadata, result = compared(exiftool_version.program, path)
    good, total = result.classes["XMP"]
    assert total >= 4, reference
    assert good == total, result.misses["XMP"]
    assert metadata["xmp"]["x:XMPToolkit"] == "Test toolkit"
    warning = reference.get("ExifTool:Warning")
    if warning and warning.startswith("XMP format error"):
        assert warning in metadata["warnings"]


def test_only_the_predefined_entities_are_decoded() -> None:
    assert unescape("&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&a;&") == "&<>\"'AB&a;&"


def test_entity_declarations_are_never_expanded() -> None:
    text = (
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a; &amp;</x:xmpmeta>'
    )
    root, warnings = recover(text)
    assert root[0].text == "&a; &" and warnings == []


@pytest.mark.parametrize(
    "text",
    [
        "".join(f"<a:n{i}>v</a:n{i}>" for i in range(100_000)) + "<a:open>",  # many names
        "<a:b>" * 100_000 + "x",  # nothing ever closed
        "<a:b>" * 20_000 + "x" + "</a:b>" * 20_000 + "junk",  # deep, then junk
        "<a:b" * 200_000,  # tokens that never end
        "<a:b>" * 2 + "<a:b/>" * 300_000 + "</a:b>",  # long same-name runs
    ],
    ids=["many names", "never closed", "deep", "unterminated tokens", "same-name runs"],
)
def test_hostile_packets_are_read_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    recover("<x:xmpmeta xmlns:x='adobe:ns:meta/' xmlns:a='u'>" + text + "</x:xmpmeta>")
    assert time.perf_counter() - started < 10  # (about 1 s each on the project machine)


def test_deep_nesting_is_bounded() -> None:
    text = "<a:b xmlns:a='u'>" * 5000 + "x" + "</a:b>" * 5000
    root, _ = recover(text)
    depth, node = 0, root
    while len(node):
        node, depth = node[0], depth + 1
    assert depth <= 42
