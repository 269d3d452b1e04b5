"""The schema of ``metadata``, the extract result (DESIGN.md "Extract result";
``worker.media.extract``, ``worker.media.pixels``, ``worker.media.video``).

Fixed shapes are exact (``parts.strict``); tag groups (EXIF sections, maker
notes, IPTC, XMP, container groups) map ExifTool's tag names to their values:
numbers where the tag is numeric (``values=raw``, as ``exiftool -n``), strings
otherwise or as ExifTool prints them (``values=printed``), lists, and for XMP
structures objects.
"""

from __future__ import annotations

from api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    TEXT,
    nullable,
    schema_ref,
    strict,
)

TAGS = {
    "type": "object",
    "description": "tag name → value (ExifTool's names)",
    "additionalProperties": True,
}
GROUPS = {
    "type": "object",
    "description": "group name (ExifTool's family 1: Canon, Apple, ...) → its tags",
    "additionalProperties": schema_ref("Tags"),
}
HEX_COLOUR = {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"}
PERCENT_PAIR = {
    "type": "array",
    "prefixItems": [TEXT, NUMBER],
    "minItems": 2,
    "maxItems": 2,
    "description": "[name or #RRGGBB, percent]",
}
CHANNEL = {"type": "array", "items": {"type": "integer", "minimum": 0}}

FILE = strict(
    {
        "name": TEXT,
        "size": {"type": "integer", "minimum": 0},
        "mimeType": TEXT,
        "md5": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    ["name", "size", "mimeType", "md5", "sha256"],
)
IMAGE = strict(
    {
        "format": {"type": "string", "description": "jpg, png, webp, gif, tiff, heic, ..."},
        "width": nullable(INTEGER),  # null: a file whose image data cannot be read
        "height": nullable(INTEGER),
        "mode": nullable(
            {"type": "string", "description": "Pillow's mode: RGB, RGBA, L, P, CMYK, ..."}
        ),
        "bitDepth": nullable(INTEGER),
        "hasColorProfile": BOOLEAN,
        "hasTransparency": BOOLEAN,
        "density": nullable(INTEGER),
        "dpi": nullable({"type": "array", "items": NUMBER}),
        "quality": nullable({"type": "integer", "description": "estimated JPEG quality"}),
        "orientation": nullable({"type": "integer", "minimum": 1, "maximum": 8}),
        "frames": INTEGER,
        "animated": BOOLEAN,
        "progressive": BOOLEAN,
    },
    ["format", "width", "height"],
)
EXIF = {
    "type": "object",
    "description": "EXIF by section (ImageKit's names): IFD0 image, IFD1 thumbnail, Exif IFD "
    "exif, GPS, interoperability, maker notes by group, other IFDs by group",
    "properties": {
        **{
            name: schema_ref("Tags")
            for name in ("image", "thumbnail", "exif", "gps", "interoperability")
        },
        "makernote": GROUPS,
        "other": GROUPS,
    },
    "additionalProperties": False,
}
GPS = nullable(
    strict(
        {
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "altitude": {"type": "number", "description": "metres above sea level"},
        },
        ["latitude", "longitude"],
        description="decimal degrees (south and west negative)",
    )
)
ICC = nullable(
    {
        "type": "object",
        "description": "the ICC profile's header fields and its description, copyright...",
        "properties": {
            "valid": {"const": False, "description": "present only for a malformed profile"},
            "size": INTEGER,
            "version": TEXT,
            "deviceClass": TEXT,
            "colorSpace": TEXT,
            "connectionSpace": TEXT,
            "description": TEXT,
            "copyright": TEXT,
        },
        "required": ["size"],
    }
)
COLORS = nullable(
    {
        "type": "array",
        "description": "predominant colours, largest first (null without pixels)",
        "items": strict({"hex": HEX_COLOUR, "fraction": NUMBER}, ["hex", "fraction"]),
    }
)
HISTOGRAM = strict(
    {
        "bins": {"const": 256},
        "pixels": INTEGER,
        "red": CHANNEL,
        "green": CHANNEL,
        "blue": CHANNEL,
    },
    ["bins", "pixels", "red", "green", "blue"],
    description="per-channel histograms of the reduced copy (histogram=true)",
)
VIDEO = {
    "type": "object",
    "description": "video files (MP4/MOV/3GP, WebM/MKV, AVI): what ffprobe and the container say",
    "properties": {
        "format": TEXT,
        "container": TEXT,
        "duration": nullable(NUMBER),
        "bitRate": nullable(NUMBER),
        "width": nullable(INTEGER),
        "height": nullable(INTEGER),
        "frameRate": nullable(NUMBER),
        "rotation": NUMBER,
        "videoCodec": nullable(TEXT),
        "audioCodec": nullable(TEXT),
        "audioChannels": nullable(INTEGER),
        "sampleRate": nullable(NUMBER),
        "streams": {"type": "array", "items": {"type": "object"}},
    },
}

METADATA = strict(
    {
        "file": FILE,
        "image": IMAGE,
        "exif": EXIF,
        "gps": GPS,
        "iptc": {**TAGS, "description": "IPTC IIM datasets by ExifTool name"},
        "xmp": {**TAGS, "description": "XMP properties as prefix:Name (structures as objects)"},
        "icc": ICC,
        "comments": {"type": "array", "items": TEXT},
        "datetimeOriginal": nullable(
            {"type": "string", "description": "ISO 8601, local time as recorded"}
        ),
        "pHash": nullable(
            {"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "as imagehash.phash"}
        ),
        "colors": COLORS,
        "warnings": {"type": "array", "items": TEXT},
        "page": {"type": "integer", "description": "the page or frame the pixel facts are of"},
        "pages": INTEGER,
        "palette": {
            "type": "array",
            "items": PERCENT_PAIR,
            "description": "Cloudinary's colors: [#RRGGBB, percent]",
        },
        "predominant": strict(
            {"google": {"type": "array", "items": PERCENT_PAIR}},
            description="Cloudinary's predominant: colour names with their share",
        ),
        "faces": {
            "type": "array",
            "items": {"type": "array", "items": INTEGER, "minItems": 4, "maxItems": 4},
            "description": "[x, y, w, h] in the stored frame's pixels (faces=true)",
        },
        "faceConfidences": {"type": "array", "items": NUMBER},
        "histogram": HISTOGRAM,
        "video": VIDEO,
        "container": {**GROUPS, "description": "video container tags by ExifTool group"},
    },
    ["file"],
    description="images: file, image, exif, gps, iptc, xmp, icc, comments, datetimeOriginal, "
    "pHash, colors, warnings (and page, pages, palette, predominant, faces, histogram as "
    "asked); videos: file, video, container, xmp, gps, datetimeOriginal, warnings",
)

VIRUS_SCAN = strict(
    {
        "scanned": {"type": "boolean", "description": "false: not scanned whole, never clean"},
        "infected": nullable(BOOLEAN),
        "infectedWith": nullable({"type": "string", "description": "the signature found"}),
        "engine": nullable({"type": "string", "description": "ClamAV's version"}),
        "signatures": nullable({"type": "integer", "description": "the database's version"}),
        "signaturesDate": nullable(TEXT),
        "scannedAt": TEXT,
        "reason": {"type": "string", "description": "why it was not scanned"},
    },
    ["scanned", "infected", "infectedWith"],
    description="ClamAV's verdict (scan=true; the scan operation)",
)

SCHEMAS = {"Tags": TAGS, "Metadata": METADATA, "VirusScan": VIRUS_SCAN}
