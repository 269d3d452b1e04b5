"""Compare exifq's extraction with ExifTool's reading (``exiftool -j -G1 -n -struct``), tag by tag.

Shared by the corpus test and the tests on files written with ExifTool. A tag of
ExifTool's output counts as *agreeing* when exifq reports a value under the same
name in the corresponding place and the values are equal:

* numbers within 1e-6 relative (ExifTool rounds rationals to 10 significant
  digits, so bit-exact float equality would be meaningless);
* strings equal after trimming surrounding white space;
* a list equal element by element to a list, or to ExifTool's space-separated
  numbers (ExifTool prints ``8 8 8`` where exifq returns ``[8, 8, 8]``), and a
  one-element list equal to its element (IPTC repeatable datasets are always
  lists in exifq; ExifTool prints a single occurrence as a scalar);
* structures equal field by field;
* binary data equal when both report the same byte count
  (``(Binary data 1639 bytes, use -b option to extract)``).

Where each ExifTool group is found in ``metadata``:

==========================================  ===================================
ExifTool group (family 1)                   exifq ``metadata``
==========================================  ===================================
IFD0, IFD1, ExifIFD, GPS, InteropIFD        ``exif.image/thumbnail/exif/gps/interoperability``
IPTC                                        ``iptc``
XMP-<prefix>                                ``xmp["<prefix>:<Name>"]``
maker-note groups (Canon, NikonCustom, ...)  ``exif.makernote["<group>"]``
==========================================  ===================================
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from worker.media.extract import EXIF_SECTIONS  # ExifTool group -> our exif section

# Maker-note family-1 groups per maker the issue names (ExifTool's group names).
MAKERS = {
    "Canon": ("Canon", "CanonCustom"),
    "Nikon": ("Nikon", "NikonCustom", "NikonCapture", "PreviewIFD", "NikonSettings"),
    "Sony": ("Sony",),
    "Fujifilm": ("FujiFilm",),
    "Olympus/OM": ("Olympus",),
    "Panasonic": ("Panasonic",),
    "Pentax": ("Pentax",),
    "Samsung": ("Samsung",),
    "Apple": ("Apple",),
}
MAKER_OF_GROUP = {group: maker for maker, groups in MAKERS.items() for group in groups}

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_BINARY = re.compile(r"^\(Binary data (\d+) bytes")


def _is_number(x: object) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return isinstance(x, str) and bool(_NUMBER.match(x.strip()))


def _close(a: object, b: object) -> bool:
    x, y = float(a), float(b)
    return x == y or abs(x - y) <= 1e-6 * max(abs(x), abs(y))


def _binary(x: object) -> int | None:
    m = _BINARY.match(x) if isinstance(x, str) else None
    return int(m.group(1)) if m else None


def values_equal(reference: object, ours: object) -> bool:
    """Whether exifq's value equals ExifTool's (rules in the module docstring)."""
    if _binary(reference) is not None or _binary(ours) is not None:
        return _binary(reference) == _binary(ours)
    one = isinstance(ours, list) and len(ours) == 1 and not isinstance(reference, list)
    if one and values_equal(reference, ours[0]):
        return True
    if isinstance(reference, list) or isinstance(ours, list):
        ref = reference if isinstance(reference, list) else _split(reference)
        got = ours if isinstance(ours, list) else _split(ours)
        return len(ref) == len(got) and all(
            values_equal(a, b) for a, b in zip(ref, got, strict=True)
        )
    if isinstance(reference, dict) or isinstance(ours, dict):
        if not (isinstance(reference, dict) and isinstance(ours, dict)):
            return False
        return set(reference) == set(ours) and all(
            values_equal(reference[k], ours[k]) for k in reference
        )
    if isinstance(reference, bool) or isinstance(ours, bool):
        return str(reference).lower() == str(ours).lower()
    if _is_number(reference) and _is_number(ours):
        return _close(reference, ours)
    ref_text, our_text = str(reference).strip(), str(ours).strip()
    if ref_text == our_text:
        return True
    parts_ref, parts_ours = ref_text.split(), our_text.split()
    if len(parts_ref) > 1 and all(map(_is_number, parts_ref + parts_ours)):
        return len(parts_ref) == len(parts_ours) and all(map(_close, parts_ref, parts_ours))
    return False


def _split(x: object) -> list:
    return x.split() if isinstance(x, str) else [x]


def category(group: str) -> str | None:
    """The threshold class of an ExifTool group: EXIF, IPTC, XMP, a maker, or ``None``."""
    if group in EXIF_SECTIONS:
        return "EXIF"
    if group == "IPTC":
        return "IPTC"
    if group.startswith("XMP-"):
        return "XMP"
    return MAKER_OF_GROUP.get(group)


def lookup(metadata: dict, group: str, name: str, maker_groups: set[str]) -> object:
    """exifq's value for ExifTool's ``group:name`` (``None`` when we have none)."""
    if group in EXIF_SECTIONS:
        return metadata["exif"][EXIF_SECTIONS[group]].get(name)
    if group == "IPTC":
        return metadata["iptc"].get(name)
    if group.startswith("XMP-"):
        return metadata["xmp"].get(f"{group[4:]}:{name}")
    if group in maker_groups:
        return metadata["exif"]["makernote"].get(group, {}).get(name)
    return None


@dataclass
class Tally:
    """Agreeing / total ExifTool tags per group and per threshold class, plus the misses."""

    groups: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    classes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))

    def add(self, file_id: str, reference: dict, metadata: dict, maker_groups: set[str]) -> None:
        for key, ref_value in reference.items():
            if ":" not in key:
                continue
            group, name = key.split(":", 1)
            klass = category(group)
            if klass in MAKERS and group not in maker_groups:
                klass = None  # a maker's group outside the maker notes (Samsung's JPEG trailer)
            if klass is None and group not in maker_groups:
                continue
            ours = lookup(metadata, group, name, maker_groups)
            ok = ours is not None and values_equal(ref_value, ours)
            for table, label in ((self.groups, group), (self.classes, klass)):
                if label is None:
                    continue
                table[label][1] += 1
                table[label][0] += ok
            if not ok:
                self.misses[klass or group].append((file_id, key, ref_value, ours))

    def ratio(self, label: str, *, by_class: bool = True) -> float:
        good, total = (self.classes if by_class else self.groups)[label]
        return good / total if total else 1.0

    def table(self) -> str:
        """The per-group agreement table (Markdown), threshold classes first."""
        lines = ["| group | agree | ExifTool tags | % |", "|---|---:|---:|---:|"]
        for label, (good, total) in sorted(self.classes.items()):
            lines.append(f"| **{label}** | {good} | {total} | {100 * good / total:.1f} |")
        for label, (good, total) in sorted(self.groups.items()):
            lines.append(f"| {label} | {good} | {total} | {100 * good / total:.1f} |")
        return "\n".join(lines)
