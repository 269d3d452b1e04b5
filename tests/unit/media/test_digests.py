"""``worker.media.digests`` gives hashlib's digests at every size, on both sides of the
size where it switches from CPython's own implementations to hashlib's OpenSSL."""

from __future__ import annotations

import hashlib
import os

import pytest

from worker.media import digests
from worker.media.extract.codegen import build


@pytest.mark.parametrize("size", [0, 1, 63, 64, 1000, digests.SMALL, digests.SMALL + 1, 3 << 20])
def test_digests_are_hashlibs(size: int) -> None:
    data = os.urandom(size)
    expected = hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()
    assert digests.md5_and_sha256(data) == expected
    assert digests.sha256_hex(data) == expected[1]


def test_small_inputs_use_the_builtin_implementations() -> None:
    assert digests._BUILTIN is not None  # CPython ships _md5 and _sha256 (_sha2 since 3.12)
    assert digests._constructors(digests.SMALL) is digests._BUILTIN
    assert digests._constructors(digests.SMALL + 1)[1] is hashlib.sha256


def test_generator_hash_is_the_hash_of_its_sources_in_order() -> None:
    digest = hashlib.sha256()
    files = sorted(build.HERE.glob("*.py")) + sorted(build.HERE.glob("*.pl"))
    for path in [*files, build.HERE.parent / "tabletypes.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    assert build.generator_hash() == digest.hexdigest()[:12]
