"""The derived fields of ``metadata``: ``gps``, ``datetimeOriginal`` and ``orientation``.

Each is taken from the most specific source present, EXIF first (it is what the
camera wrote), then XMP, then IPTC:

* ``gps`` - decimal degrees, negative south/west (EXIF 2.32 §4.6.6: GPSLatitude is
  unsigned degrees/minutes/seconds, the hemisphere is in GPSLatitudeRef), altitude
  in metres, negative below sea level (GPSAltitudeRef 1). Out-of-range
  coordinates are dropped rather than reported.
* ``datetimeOriginal`` - ISO 8601 (``2018-08-20T08:59:50``), with fractional
  seconds from SubSecTimeOriginal and the UTC offset from OffsetTimeOriginal
  (EXIF 2.31) or from the XMP date when the file has one.
* ``orientation`` - EXIF Orientation 1-8, else XMP ``tiff:Orientation``.
"""

from __future__ import annotations

import re

_EXIF_DATE = re.compile(
    r"^(\d{4}):(\d{2}):(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?$"
)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def gps(exif_gps: dict, xmp: dict) -> dict | None:
    """``{"latitude", "longitude", "altitude"?}`` or ``None`` when there is no valid fix."""
    lat = _number(exif_gps.get("GPSLatitude"))
    lon = _number(exif_gps.get("GPSLongitude"))
    if lat is not None and lon is not None:
        if str(exif_gps.get("GPSLatitudeRef", "")).upper().startswith("S"):
            lat = -abs(lat)
        if str(exif_gps.get("GPSLongitudeRef", "")).upper().startswith("W"):
            lon = -abs(lon)
        alt = _number(exif_gps.get("GPSAltitude"))
        if alt is not None and str(exif_gps.get("GPSAltitudeRef", "0")) == "1":
            alt = -alt
    else:
        lat = _number(xmp.get("exif:GPSLatitude"))
        lon = _number(xmp.get("exif:GPSLongitude"))
        alt = _number(xmp.get("exif:GPSAltitude"))
        if alt is not None and str(xmp.get("exif:GPSAltitudeRef", "0")) == "1":
            alt = -alt
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    out: dict[str, float] = {"latitude": round(lat, 8), "longitude": round(lon, 8)}
    if alt is not None and abs(alt) < 100_000:
        out["altitude"] = round(alt, 3)
    return out


def iso_datetime(value: object, subsec: object = None, offset: object = None) -> str | None:
    """``YYYY:mm:dd HH:MM:SS`` (ExifTool style) to ISO 8601, or ``None`` if not a real date."""
    if not isinstance(value, str):
        return None
    m = _EXIF_DATE.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    if year == "0000" or month == "00" or day == "00" or int(month) > 12 or int(day) > 31:
        return None
    if hour is None:
        return f"{year}-{month}-{day}"  # a date without a time (IPTC/XMP): no invented midnight
    if int(hour) > 24 or int(minute) > 59 or int(second) > 60:
        return None
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    digits = frac[1:] if frac else (str(subsec).strip() if subsec not in (None, "") else "")
    if digits and digits.isdigit():
        text += "." + digits
    zone = zone or (str(offset).strip() if offset not in (None, "") else None)
    if zone:
        if zone == "Z":
            text += "Z"
        elif re.fullmatch(r"[+-]\d{2}:?\d{2}", zone):
            text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return text


def datetime_original(exif: dict[str, dict], xmp: dict, iptc: dict) -> str | None:
    """The capture time, from the first source that has a valid one (module docstring)."""
    ifd = exif.get("exif", {})
    candidates = [
        (ifd.get("DateTimeOriginal"), ifd.get("SubSecTimeOriginal"), ifd.get("OffsetTimeOriginal")),
        (ifd.get("CreateDate"), ifd.get("SubSecTimeDigitized"), ifd.get("OffsetTimeDigitized")),
        (xmp.get("exif:DateTimeOriginal"), None, None),
        (xmp.get("photoshop:DateCreated"), None, None),
        (xmp.get("xmp:CreateDate"), None, None),
    ]
    if iptc.get("DateCreated"):
        time = iptc.get("TimeCreated")
        candidates.append(
            (f"{iptc['DateCreated']} {time}" if time else iptc["DateCreated"], None, None)
        )
    for value, subsec, offset in candidates:
        iso = iso_datetime(value, subsec, offset)
        if iso:
            return iso
    return None


def orientation(exif: dict[str, dict], xmp: dict) -> int | None:
    for value in (exif.get("image", {}).get("Orientation"), xmp.get("tiff:Orientation")):
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
            return value
    return None
