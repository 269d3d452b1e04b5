# TEMPORARY until the hash branch lands: the extract branch needs phash(); the lead replaces this.
"""Perceptual hashes (stand-in: only ``phash``, delegating to ``imagehash``)."""

from __future__ import annotations

from PIL import Image


def phash(image: Image.Image) -> str:
    """imagehash's 64-bit pHash of ``image`` as 16 hex characters."""
    import imagehash

    return str(imagehash.phash(image))
