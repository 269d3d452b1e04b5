# DEV STUB — not committed; replaced by the strip branch.
from dataclasses import dataclass

from worker.media.decode import open_image


@dataclass
class Stripped:
    data: bytes
    report: dict


def strip_metadata(data, *, keep=frozenset()):
    open_image(data)
    return Stripped(data[::1], {"removed": [], "bytesBefore": len(data), "bytesAfter": len(data)})
