"""Property: any mutation of a real file gives a result or one of our errors, fast.

Hypothesis takes corpus files (the small ones, so each example is quick) and
mutates them the ways broken files are broken: truncation, random byte flips,
4-byte fields overwritten with hostile offsets/counts (0, 0xFFFFFFFF, ...),
inserted or deleted runs of bytes. ``extract_metadata`` must return a
JSON-serialisable dict or raise an ``ExifqError`` - any other exception, or an
example running longer than :data:`EXAMPLE_SECONDS`, fails the test.

2,400 examples in all (2,000 metadata-only, 400 with pixel decoding), no
deadline (timing on a shared machine is noisy; the alarm catches real hangs).
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import ExifqError
from tests.conftest import corpus_files
from worker.media.extract import extract_metadata

EXAMPLE_SECONDS = 10
HOSTILE = [0, 1, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF0, 8, 12]
SMALL = [f for f in corpus_files() if f.manifest["bytes"] <= 60_000]


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    def alarm(signum, frame):
        raise Hang(f"example ran over {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Case:
    """A mutated file; its repr names the source and the mutations, not 100 kB of bytes."""

    def __init__(self, source: str, data: bytes, ops: list[str]) -> None:
        self.source, self.data, self.ops = source, data, ops

    def __repr__(self) -> str:
        return f"Case({self.source!r}, ops={self.ops}, size={len(self.data)})"


@st.composite
def mutated(draw: st.DrawFn) -> Case:
    source = draw(st.sampled_from(SMALL))
    data = bytearray(source.data)
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "int32", "truncate", "insert", "delete", "zero"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        ops.append(f"{kind}@{pos}")
        if kind == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif kind == "int32" and pos + 4 <= len(data):
            value = draw(st.sampled_from(HOSTILE))
            order = draw(st.sampled_from(["little", "big"]))
            data[pos : pos + 4] = value.to_bytes(4, order)
        elif kind == "truncate":
            del data[max(1, pos) :]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 256))]
        elif kind == "zero":
            data[pos : pos + 16] = bytes(min(16, len(data) - pos))
    return Case(source.id, bytes(data), ops)


def _check(data: bytes, pixels: bool) -> None:
    with time_limit(EXAMPLE_SECONDS):
        try:
            metadata = extract_metadata(data, "fuzz.bin", pixels=pixels, max_pixels=20_000_000)
        except ExifqError as exc:
            assert exc.code and exc.message
            return
    json.dumps(metadata, allow_nan=False)


@settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(mutated())
def test_mutated_files_metadata_only(case: Case) -> None:
    _check(case.data, pixels=False)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(mutated())
def test_mutated_files_with_pixels(case: Case) -> None:
    _check(case.data, pixels=True)
