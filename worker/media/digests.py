"""MD5 and SHA-256 digests, without importing :mod:`hashlib` for small inputs.

``import hashlib`` costs a fresh process ~4 ms: it loads OpenSSL and probes each of its
algorithms. A one-file command on a small image would spend more on that than on the
hashing, so inputs up to :data:`SMALL` bytes are hashed by CPython's own implementations
(``_md5`` and ``_sha256``, or ``_sha2`` since 3.12: what hashlib itself falls back on
without OpenSSL); larger ones, and interpreters without those modules, use hashlib, whose
OpenSSL code is faster per byte (SHA-256: ~1 ns/byte against ~6). The digests are the
same either way.
"""

from __future__ import annotations

from collections.abc import Callable

SMALL = 512 * 1024  # where OpenSSL's start-up is repaid by its speed (~5 ns/byte saved)


def _builtins() -> tuple[Callable, Callable] | None:
    try:
        from _md5 import md5
    except ImportError:
        return None
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.11
        except ImportError:
            return None
    return md5, sha256


_BUILTIN = _builtins()


def _constructors(size: int) -> tuple[Callable, Callable]:
    if _BUILTIN is not None and size <= SMALL:
        return _BUILTIN
    from hashlib import md5, sha256

    return md5, sha256


def md5_and_sha256(data: bytes) -> tuple[str, str]:
    """The hexadecimal MD5 and SHA-256 digests of ``data``."""
    md5, sha256 = _constructors(len(data))
    return md5(data).hexdigest(), sha256(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    """The hexadecimal SHA-256 digest of ``data``."""
    return _constructors(len(data))[1](data).hexdigest()
