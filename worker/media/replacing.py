"""Writing a file whole or not at all: a new file beside it, renamed over it when complete."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator


@contextlib.contextmanager
def replacing(dst: str) -> Iterator[int]:
    """A descriptor of a new file beside ``dst`` that replaces ``dst`` once the block ends
    without an error, and is removed otherwise: a reader never sees half a file.

    A ``dst`` that exists keeps its permission bits (a private photo cleaned in
    place stays private); a new one gets the umask's, as ``open`` would give it.
    """
    try:
        mode = stat.S_IMODE(os.stat(dst).st_mode)
    except FileNotFoundError:
        mode = None
    temporary = os.path.join(os.path.dirname(dst) or ".", f".{secrets.token_hex(6)}.exifq.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            yield fd
        finally:
            os.close(fd)
        os.replace(temporary, dst)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
