"""The derived fields of a video's ``metadata``: ``video``, ``gps``, ``datetimeOriginal``.

* ``video`` - ImageKit's video fields (``duration bitRate width height videoCodec
  audioCodec``) and a few more, from the first video and audio streams FFmpeg reports
  (:mod:`.streams`); ``width``/``height`` are the coded size, ``rotation`` the clockwise
  display rotation of the video track (ExifTool's Composite ``Rotation``, from the
  ``tkhd`` matrix; 0 where the container has none).
* ``gps`` - from Apple's ``Keys:GPSCoordinates`` (``com.apple.quicktime.location.ISO6709``),
  else an ``ItemList``/``UserData`` ``©xyz``, a Matroska ``Location`` tag, then XMP.
* ``datetimeOriginal`` - the capture time: Apple's ``Keys:CreationDate`` (local time
  with its offset), then the other containers' date tags, XMP, and last the movie
  header's ``CreateDate`` (UTC by ISO/IEC 14496-12 §8.2.2, so given with ``Z``).
"""

from __future__ import annotations

import math
import re

from worker.media.extract.exiftool_funcs.video import iso6709
from worker.media.extract.summary import gps as photo_gps
from worker.media.extract.summary import iso_datetime

_GPS_TAGS = ("GPSCoordinates", "Location", "LocationInformation")
_GPS_GROUPS = ("Keys", "ItemList", "UserData", "Matroska")
_DATE_TAGS = (
    ("Keys", "CreationDate"),
    ("Keys", "DateTimeOriginal"),
    ("ItemList", "ContentCreateDate"),
    ("UserData", "DateTimeOriginal"),
    ("UserData", "ContentCreateDate"),
    ("Matroska", "DateTimeOriginal"),
    ("RIFF", "DateTimeOriginal"),
)
_XMP_DATES = ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate")
_UTC_DATES = (("QuickTime", "CreateDate"), ("Matroska", "DateUTC"))


def video_fields(
    facts: dict, groups: dict[str, dict], format_name: str, container: str, video_group: str | None
) -> dict:
    """``metadata.video`` (``video_group``: the QuickTime group of the video track)."""
    streams = facts.get("streams", [])
    video = next((s for s in streams if s["type"] == "video"), {})
    audio = next((s for s in streams if s["type"] == "audio"), {})
    return {
        "format": format_name,
        "container": container,
        "duration": facts.get("duration"),
        "bitRate": facts.get("bitRate"),
        "width": video.get("width"),
        "height": video.get("height"),
        "frameRate": video.get("frameRate"),
        "rotation": rotation(groups.get(video_group or "", {})),
        "videoCodec": video.get("codec"),
        "audioCodec": audio.get("codec"),
        "audioChannels": audio.get("channels"),
        "sampleRate": audio.get("sampleRate"),
        "streams": streams,
    }


def rotation(track: dict) -> int | float:
    """ExifTool's ``CalcRotation``/``GetRotationAngle``: the angle of the video track's
    ``tkhd`` matrix, clockwise, in [0, 360); 0 without one."""
    items = _items(track.get("MatrixStructure"))
    try:
        a, b = float(items[0]), float(items[1])
    except (IndexError, ValueError):
        return 0
    if a == 0 and b == 0:
        return 0
    angle = math.atan2(b, a) * 180 / 3.14159  # (ExifTool's constant)
    angle += 360 if angle < 0 else 0
    angle = int(angle * 1000 + 0.5) / 1000
    return int(angle) if angle.is_integer() else angle


def gps(groups: dict[str, dict], xmp: dict) -> dict | None:
    """``{"latitude", "longitude", "altitude"?}`` or ``None``."""
    order = [g for g in _GPS_GROUPS if g in groups] + [g for g in groups if g not in _GPS_GROUPS]
    for group in order:
        for name in _GPS_TAGS:
            value = groups[group].get(name)
            parts = _items(iso6709(value) if isinstance(value, str) else value)
            try:
                numbers = [float(p) for p in parts[:3]]
            except ValueError:
                continue
            if len(numbers) >= 2:
                fix = {"GPSLatitude": numbers[0], "GPSLongitude": numbers[1]}
                if len(numbers) == 3:
                    fix["GPSAltitude"] = numbers[2]
                found = photo_gps(fix, {})
                if found:
                    return found
    return photo_gps({}, xmp)


def datetime_original(groups: dict[str, dict], xmp: dict) -> str | None:
    """The capture time, from the first source with a valid one (module docstring)."""
    candidates = [groups.get(group, {}).get(name) for group, name in _DATE_TAGS]
    candidates += [xmp.get(key) for key in _XMP_DATES]
    for value in candidates:
        iso = iso_datetime(_exif_style(value))
        if iso:
            return iso
    for group, name in _UTC_DATES:
        iso = iso_datetime(_exif_style(groups.get(group, {}).get(name)))
        if iso:
            return iso if iso.endswith("Z") or "T" not in iso else iso + "Z"
    return None


def _items(value: object) -> list:
    """A list value, or the space-separated items of a string (the JSON form of a tag
    with several numbers is a list)."""
    if isinstance(value, list):
        return value
    return value.split() if isinstance(value, str) else []


def _exif_style(value: object) -> object:
    """``2020-01-02T03:04:05`` (ISO 8601, as some writers store it) as ``2020:01:02 03:04:05``."""
    if isinstance(value, str):
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:T| )?(.*)$", value.strip())
        if m:
            rest = m.group(4).rstrip("Z") + ("Z" if m.group(4).endswith("Z") else "")
            return f"{m.group(1)}:{m.group(2)}:{m.group(3)}" + (f" {rest}" if rest else "")
    return value
