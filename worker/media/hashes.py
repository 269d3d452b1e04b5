# DEV STUB — not committed; replaced by the hash branch.
import hashlib

from worker.media.decode import open_image


def compute_hashes(data, types, *, fast=False, max_pixels=100_000_000):
    open_image(data, max_pixels=max_pixels)
    return {t: getattr(hashlib, t)(data).hexdigest() for t in types if t in ("md5", "sha256")}
