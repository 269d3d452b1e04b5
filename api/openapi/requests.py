"""Request bodies that "try it out" can send as they are.

Swagger UI fills a JSON body from the schema's samples (``"string"``,
``https://example.com/``): every input at once, which the API refuses. The JSON bodies
here carry instead a small JPEG of ours (32 × 24, EXIF with a camera, a date and a GPS
position), made with Pillow when the document is first built, so that a request tried
from the docs page runs a real job on this server and fetches nothing.
"""

from __future__ import annotations

import base64
import io
from functools import cache


@cache
def sample_jpeg(mirrored: bool = False) -> str:
    """The sample JPEG as base64 (``mirrored``: a different picture with the same metadata)."""
    from PIL import ExifTags, Image

    image = Image.linear_gradient("L").resize((32, 24)).convert("RGB")
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "exifq"
    exif[ExifTags.Base.Model] = "example"
    exif[ExifTags.Base.DateTime] = "2025:01:01 12:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, exif=exif.tobytes())
    return base64.b64encode(out.getvalue()).decode()


def job() -> dict:
    return {"base64": sample_jpeg(), "wait": 10}


def batch() -> dict:
    return {
        "base64": [sample_jpeg(), sample_jpeg(mirrored=True)],
        "operations": ["extract", "hash"],
        "wait": 10,
    }


def similarity(kind: str) -> dict:
    records = [
        {"_id": "gradient", "_base64": sample_jpeg()},
        {"_id": "mirrored", "_base64": sample_jpeg(mirrored=True)},
    ]
    if kind == "rank_images":
        return {"query_record": {"_id": "query", "_base64": sample_jpeg()}, "records": records}
    return {"records": records}


def data_uri() -> str:
    return f"data:image/jpeg;base64,{sample_jpeg()}"
