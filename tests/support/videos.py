"""Short videos built for the tests: ffmpeg encodes them, ExifTool writes their metadata.

:func:`build_videos` makes, in one folder, one file per case the video tests need (a
phone-style MOV with Apple's ``com.apple.quicktime.*`` keys, GPS and a 90° rotation; an
MP4 with iTunes-style items, moov first; a fragmented MP4; a MOV with a timecode track;
a 3GP; a WebM and an MKV with tags, chapters, track names and attachments; an AVI with
INFO tags), and :func:`ffprobe`/:func:`packet_hashes` read them with the reference tools.
Shared by the unit tests and ``bench/video.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

SECONDS = "1"
APPLE_KEYS = [
    "-Keys:Make=Apple", "-Keys:Model=iPhone 14 Pro", "-Keys:Software=17.1",
    "-Keys:CreationDate=2024:01:02 03:04:05+01:00",
    "-Keys:GPSCoordinates=-33.8568, 151.2153, 12.5", "-Keys:LocationAccuracyHorizontal=4.7",
    "-UserData:Make=Apple", "-UserData:Model=iPhone 14 Pro",
    "-UserData:GPSCoordinates=-33.8568, 151.2153",
    "-QuickTime:CreateDate=2024:01:02 02:04:05", "-QuickTime:ModifyDate=2024:01:02 02:04:06",
    "-TrackCreateDate=2024:01:02 02:04:05", "-MediaCreateDate=2024:01:02 02:04:05",
    "-Rotation=90", "-XMP-dc:Title=Opera House", "-XMP-dc:Creator=Jane Roe",
]  # fmt: skip
ITUNES_ITEMS = [
    "-ItemList:Title=Holiday", "-ItemList:Artist=Jane Roe", "-ItemList:Comment=private ünï",
    "-ItemList:GPSCoordinates=48.8584, 2.2945, 35", "-UserData:Make=Sony",
    "-UserData:Model=ILCE-7M3", "-QuickTime:CreateDate=2021:06:07 10:11:12",
    "-XMP-xmp:CreatorTool=Camera App",
]  # fmt: skip
FFMETADATA = """;FFMETADATA1
title=Holiday
artist=Jane Roe
comment=private
date_recorded=2021-06-07
location=+48.8584+002.2945/
[CHAPTER]
TIMEBASE=1/1000
START=0
END=500
title=Start
[CHAPTER]
TIMEBASE=1/1000
START=500
END=1000
title=End
"""


def _run(*args: str | Path) -> None:
    proc = subprocess.run([str(a) for a in args], capture_output=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.decode(errors='replace')[-800:]}")


def require_tools() -> None:
    for tool, package in (("ffmpeg", "ffmpeg"), ("ffprobe", "ffmpeg"), ("exiftool", "exiftool")):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: tests/run.sh installs it ({package})")


def _encode(out: Path, *args: str, size: str = "160x120", rate: str = "30") -> None:
    _run(
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        *args, "-t", SECONDS, out,
    )  # fmt: skip


def build_videos(folder: Path) -> dict[str, Path]:
    """Every test video, built in ``folder`` (name -> path)."""
    require_tools()
    folder.mkdir(parents=True, exist_ok=True)
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    paths = {
        "phone.mov": folder / "phone.mov",
        "camera.mp4": folder / "camera.mp4",
        "fragmented.mp4": folder / "fragmented.mp4",
        "timecode.mov": folder / "timecode.mov",
        "clip.3gp": folder / "clip.3gp",
        "tagged.webm": folder / "tagged.webm",
        "tagged.mkv": folder / "tagged.mkv",
        "clip.avi": folder / "clip.avi",
    }
    _encode(paths["phone.mov"], *h264, "-shortest")
    _encode(paths["camera.mp4"], *h264, "-shortest", "-movflags", "+faststart")
    _encode(paths["clip.3gp"], *h264, "-ac", "1", "-ar", "16000", "-f", "3gp", "-shortest")
    _encode(paths["timecode.mov"], *h264, "-timecode", "10:11:12:00", "-shortest")
    _encode(
        paths["fragmented.mp4"], *h264, "-movflags", "+frag_keyframe+empty_moov",
        "-metadata", "title=Fragmented", "-metadata", "artist=Jane Roe", "-shortest",
    )  # fmt: skip
    chapters = folder / "chapters.txt"
    chapters.write_text(FFMETADATA)
    cover = folder / "cover.png"
    _run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=red:size=8x8",
         "-frames:v", "1", cover)  # fmt: skip
    vp9 = ["-c:v", "libvpx-vp9", "-b:v", "100k", "-deadline", "realtime", "-c:a", "libopus"]
    for name, codecs in (
        ("tagged.webm", vp9),
        ("tagged.mkv", [*h264, "-attach", str(cover), "-metadata:s:t", "mimetype=image/png"]),
    ):
        _encode(
            paths[name], "-i", str(chapters), "-map", "0:v", "-map", "1:a",
            "-map_metadata", "2", "-map_chapters", "2", *codecs,
            "-metadata:s:v:0", "title=Back camera", "-metadata:s:v:0", "language=fra",
            "-shortest",
        )  # fmt: skip
    _encode(
        paths["clip.avi"], "-c:v", "mpeg4", "-c:a", "libmp3lame", "-shortest",
        "-metadata", "title=Holiday", "-metadata", "artist=Jane Roe",
        "-metadata", "comment=private", "-metadata", "date=2021-06-07",
    )  # fmt: skip
    _run("exiftool", "-q", "-m", "-overwrite_original", *APPLE_KEYS, paths["phone.mov"])
    _run("exiftool", "-q", "-m", "-overwrite_original", *ITUNES_ITEMS, paths["camera.mp4"])
    _run(
        "exiftool", "-q", "-m", "-overwrite_original", "-UserData:Make=Nokia",
        "-ItemList:Title=Clip", paths["clip.3gp"], paths["timecode.mov"],
    )  # fmt: skip
    return paths


def ffprobe(path: Path) -> dict:
    """``ffprobe -show_format -show_streams`` as JSON."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    return json.loads(proc.stdout)


def packet_hashes(path: Path) -> dict[tuple[str, int], str]:
    """Per stream (type, index among that type): SHA-256 of every packet's bytes, pts, dts.
    Attached pictures (Matroska cover art, which the strip removes) are left out."""
    import av

    hashes: dict[tuple[str, int], hashlib._Hash] = {}
    with av.open(str(path)) as container:
        streams = [
            s for s in container.streams if not s.disposition & av.stream.Disposition.attached_pic
        ]
        rank = {s.index: [t.type for t in streams[:i]].count(s.type) for i, s in enumerate(streams)}
        for packet in container.demux(*streams):
            if packet.size == 0:
                continue
            key = (packet.stream.type, rank[packet.stream.index])
            digest = hashes.setdefault(key, hashlib.sha256())
            digest.update(bytes(packet))
            digest.update(f"|{packet.pts}|{packet.dts}|".encode())
    return {key: digest.hexdigest() for key, digest in hashes.items()}
