"""Write ExifTool's tag tables as Python modules into a directory (the tables cache).

:func:`generate` takes the dump of :func:`.exiftool.run_dump`, keeps the families we
decode (EXIF, GPS, IPTC, XMP and the maker notes), translates every Perl expression
with :func:`.perl2py.compile_perl` and writes one module per family plus
``manifest.json``: ExifTool's version, what was compiled and left untranslated, the
helper names the expressions call, and which module holds which table. Nothing here
is committed: :mod:`.build` runs it into a cache directory on first use.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from .entries import table_literal
from .literals import ModuleWriter, package_of, short

# ExifTool modules whose tables we generate (the others are file formats we read
# ourselves, or raw-file and editing-software blocks outside the scope of exifq).
FAMILIES = frozenset(
    (
        *("Exif", "GPS", "IPTC", "XMP", "Apple", "Canon", "CanonCustom", "Casio", "DJI"),
        *("FLIR", "FujiFilm", "GE", "HP", "JVC", "Kodak", "Minolta", "Motorola", "Nikon"),
        *("NikonCustom", "Olympus", "Panasonic", "Pentax", "Reconyx", "Ricoh", "Samsung"),
        *("Sanyo", "Sigma", "Sony", "Unknown", "Google", "MWG", "PLUS"),
        *("QuickTime", "Matroska", "RIFF", "BMP"),  # videos (worker/media/video)
    )
)

HEADER = '''"""ExifTool {version}'s tag tables for the {family} family, as Python (exifq generated).

Built on this machine from the installed ExifTool (lib/Image/ExifTool/{family}.pm,
Copyright Phil Harvey) into exifq's tables cache; never distributed with exifq.
"""
# ruff: noqa
from worker.media.extract import perl as P
from worker.media.extract.tabletypes import SubDir, Table, Tag

'''
_HELPER_CALLS = (
    re.compile(r"""P\.call\(V, ['"]([^'"]+)['"]"""),
    re.compile(r"""P\.named\(['"]([^'"]+)['"]\)"""),
)
_METHOD_CALLS = re.compile(r"""P\.method_call\(V, [^,]+, ['"]([^'"]+)['"]""")


def family_of(table: str) -> str:
    parts = table.split("::")
    return parts[2] if len(parts) > 2 else parts[0]


def unshare(value: object, shared: dict, done: dict) -> object:
    """Replace ``{"shared": id}`` by the one dict it names (the same object everywhere)."""
    if isinstance(value, dict):
        if len(value) == 1 and "shared" in value and value["shared"] in shared:
            key = value["shared"]
            if key not in done:
                done[key] = {}
                done[key].update(unshare(shared[key], shared, done))
            return done[key]
        return {k: unshare(v, shared, done) for k, v in value.items()}
    if isinstance(value, list):
        return [unshare(v, shared, done) for v in value]
    return value


def helper_names(code: str) -> tuple[set[str], set[str]]:
    """The ExifTool functions and methods generated code calls by name."""
    functions = {name for rx in _HELPER_CALLS for name in rx.findall(code)}
    return functions, set(_METHOD_CALLS.findall(code))


def _module_text(family: str, version: str, w: ModuleWriter, bodies: list[str]) -> str:
    parts = [HEADER.format(family=family, version=version)]
    parts.extend(code + "\n\n" for code in w.code)
    parts.extend(line + "\n" for line in w.constant_code)
    parts.append("\nTABLES = {\n" + "\n".join(bodies) + "\n}\n")
    return "\n".join(parts)


def _xmp_namespaces(dump: dict) -> str:
    uris = dict(sorted(dump["XMP::nsURI"].items()))
    xlat = dict(sorted(dump["XMP::stdXlatNS"].items()))
    return (
        f"# namespace prefix -> URI (ExifTool's %nsURI)\nNS_URI = {uris!r}\n"
        f"# old/alternative prefix -> standard prefix (%stdXlatNS)\nSTD_XLAT_NS = {xlat!r}\n"
    )


def generate(dump: dict, out: Path) -> dict:
    """Write the modules and return the manifest (also written, last, as ``manifest.json``)."""
    shared = dump.get("_shared", {})
    done: dict = {}
    tables = {
        name: unshare(body, shared, done)
        for name, body in dump.items()
        if not name.startswith("_") and "::" in name and family_of(name) in FAMILIES
    }
    tables.pop("MakerNotes::Main", None)  # the same list is Exif::Main's MakerNote tag
    known = set(tables)
    stats: Counter = Counter()
    untranslated: list[dict] = []
    writers: dict[str, ModuleWriter] = {}
    bodies: dict[str, list[str]] = {}
    for name in sorted(known):
        family = family_of(name)
        w = writers.setdefault(family, ModuleWriter(family, stats, untranslated))
        w.package = package_of(name)
        bodies.setdefault(family, []).append(table_literal(name, tables[name], w, known))
        stats["tables"] += 1
    version = dump["_exiftool"]["version"]
    functions: set[str] = set()
    methods: set[str] = set()
    out.mkdir(parents=True, exist_ok=True)
    for family, w in sorted(writers.items()):
        text = _module_text(family, version, w, bodies[family])
        if family == "XMP":
            text += _xmp_namespaces(dump)
        found = helper_names(text)
        functions |= found[0]
        methods |= found[1]
        (out / f"{family.lower()}.py").write_text(text, encoding="utf-8")
    return {
        "exiftool": dump["_exiftool"],
        "stats": dict(stats),
        "untranslated": untranslated,
        "functions": sorted(functions),
        "methods": sorted(methods),
        "modules": {short(name): family_of(name).lower() for name in sorted(known)},
        "helper_data": {
            short(name): unshare(data, shared, done)
            for name, data in dump.get("_helper_data", {}).items()
        },
    }


def write_manifest(out: Path, manifest: dict) -> None:
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(out / "manifest.json")
