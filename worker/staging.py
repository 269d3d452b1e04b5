"""Videos run from files: the input streamed from storage to a temporary file, the cleaned file
streamed back, never a whole video in memory.

:func:`scratch` is the job's temporary folder (made only if a file needs it, removed
when the job ends, whatever happens). A video input becomes a :class:`Source` with a
``path``: an upload is copied from storage in 1 MiB pieces (:func:`stage_upload`, refused
past ``MAX_VIDEO_BYTES``), a fetched URL body (in memory, within ``MAX_UPLOAD_BYTES``) is
written out (:func:`stage_bytes`). Images keep ``data`` as before. :func:`put_cleaned`
stores the runner's cleaned bytes, or streams its cleaned file.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from common.errors import TooLarge
from common.operations import Outcome, Source
from common.storage import Storage
from worker.media.formats import VIDEOS, sniff

CHUNK = 1 << 20
_VIDEO_NAMES = {fmt.name: fmt for fmt in VIDEOS}


class Scratch:
    """A private temporary folder for one job's files, made on first use."""

    def __init__(self) -> None:
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="exifq-job-"))
        return self._folder

    def remove(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


@contextlib.contextmanager
def scratch() -> Iterator[Scratch]:
    """The job's :class:`Scratch`, removed when the job ends, whatever happens."""
    space = Scratch()
    try:
        yield space
    finally:
        space.remove()


def is_video(format_name: str | None) -> bool:
    return format_name in _VIDEO_NAMES


def stage_upload(
    storage: Storage, key: str, name: str, format_name: str, folder: Path, max_bytes: int
) -> Source:
    """A stored video upload copied to ``folder`` in pieces."""
    path = folder / f"input{_VIDEO_NAMES[format_name].extension}"
    copied = 0
    with storage.open(key) as source, open(path, "wb") as target:
        while chunk := source.read(CHUNK):
            copied += len(chunk)
            if copied > max_bytes:
                raise TooLarge(f"video too large (limit {max_bytes} bytes)")
            target.write(chunk)
    return Source(name, b"", format_name, path=path)


def stage_bytes(source: Source, space: Scratch) -> Source:
    """``source`` as a file in ``space`` when its bytes are a video; else unchanged."""
    fmt = sniff(source.data[:64]) if source.path is None else None
    if fmt is None or fmt.kind != "video":
        return source
    path = space.folder / f"input{fmt.extension}"
    path.write_bytes(source.data)
    return Source(source.name, b"", fmt.name, path=path)


def put_cleaned(storage: Storage, key: str, outcome: Outcome) -> bool:
    """Store the runner's cleaned file under ``key`` (its bytes, or its file streamed);
    ``False`` when the operation gave none."""
    if outcome.cleaned is not None:
        storage.put(key, outcome.cleaned, content_type=outcome.cleaned_type)
    elif outcome.cleaned_path is not None:
        with open(outcome.cleaned_path, "rb") as body:
            storage.put(key, body, content_type=outcome.cleaned_type)
    else:
        return False
    return True
