"""Hamming distance, similarity, rank and duplicate clusters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadRequest
from worker.media.hashes import to_bits
from worker.media.similarity import find_duplicates, hamming_distance, rank, similarity

hash64 = st.integers(0, 2**64 - 1)


def hex64(value: int) -> str:
    return format(value, "016x")


def test_seed_examples():
    assert hamming_distance("63433b3ccf8e1ebe", "f5d2226cd9d32b16") == 27
    assert hamming_distance("63433b3ccf8e1ebe", "61433b3fcf8f9faf") == 8
    assert similarity("63433b3ccf8e1ebe", "61433b3fcf8f9faf") == 1 - 8 / 64
    assert similarity("63433b3ccf8e1ebe", "63433b3ccf8e1ebe") == 1.0


def test_bit_strings_and_upper_case_hex_mean_the_same_hash():
    a, b = "63433b3ccf8e1ebe", "f5d2226cd9d32b16"
    assert hamming_distance(to_bits(a), to_bits(b)) == 27
    assert hamming_distance(a.upper(), b) == 27
    assert similarity(to_bits(a), to_bits(b)) == 1 - 27 / 64


def test_long_bit_strings_count_every_bit():
    a = "0" * 968
    b = "1" * 961 + "0" * 7
    assert hamming_distance(a, b) == 961
    assert similarity(a, b) == pytest.approx(1 - 961 / 968)


def test_short_strings_of_0_and_1_are_hex():
    # A 16-character string is a 64-bit hex hash even when it only holds 0s and 1s.
    assert hamming_distance("0000000000000000", "1111111111111111") == 16
    assert similarity("0000000000000000", "0000000000000001") == 1 - 1 / 64


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("63433b3ccf8e1ebe", "63433b3ccf8e1eb"),  # unequal lengths
        ("63433b3ccf8e1ebe", to_bits("63433b3ccf8e1ebe")),  # hex vs its bits: unequal lengths
        ("", ""),
        ("63433b3ccf8e1ebg", "63433b3ccf8e1ebe"),
        ("0x433b3ccf8e1ebe", "63433b3ccf8e1ebe"),
        ("6343 3b3ccf8e1eb", "63433b3ccf8e1ebe"),
        ("é3433b3ccf8e1ebe", "63433b3ccf8e1ebe"),
        ("\ud8003433b3ccf8e1eb", "63433b3ccf8e1ebe"),
    ],
)
def test_bad_hashes_are_bad_requests(a, b):
    with pytest.raises(BadRequest):
        hamming_distance(a, b)
    with pytest.raises(BadRequest):
        similarity(a, b)


@settings(max_examples=200, deadline=None)
@given(hash64, hash64, hash64)
def test_distance_is_a_metric_and_counts_differing_bits(a, b, c):
    ha, hb, hc = hex64(a), hex64(b), hex64(c)
    d = hamming_distance(ha, hb)
    assert d == (a ^ b).bit_count()
    assert d == hamming_distance(hb, ha)
    assert hamming_distance(ha, ha) == 0
    assert hamming_distance(ha, hc) <= d + hamming_distance(hb, hc)
    assert similarity(ha, hb) == 1 - d / 64
    assert hamming_distance(to_bits(ha), to_bits(hb)) == d


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=130), st.data())
def test_distance_of_any_length_hex(raw, data):
    other = data.draw(st.binary(min_size=len(raw), max_size=len(raw)))
    a, b = raw.hex(), other.hex()
    expected = (int(a, 16) ^ int(b, 16)).bit_count()
    assert hamming_distance(a, b) == expected
    assert similarity(a, b) == 1 - expected / (8 * len(raw))


# ---- rank --------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(hash64, st.lists(hash64, max_size=60), st.none() | st.integers(0, 70))
def test_rank_sorts_by_distance_then_input_order(query, values, limit):
    indices, distances = rank(hex64(query), [hex64(v) for v in values], limit=limit)
    expected = sorted(range(len(values)), key=lambda i: ((query ^ values[i]).bit_count(), i))
    expected = expected[:limit] if limit is not None else expected
    assert indices == expected
    assert distances == [(query ^ values[i]).bit_count() for i in expected]


def test_rank_accepts_ints_bit_strings_and_numpy_arrays():
    values = [0b1011, 0, 2**64 - 1, 0b1]
    by_int = rank(0, values)
    assert by_int == ([1, 3, 0, 2], [0, 1, 3, 64])
    assert rank(to_bits(hex64(0)), [hex64(v) for v in values]) == by_int
    assert rank(0, np.array(values, dtype=np.uint64)) == by_int


def test_rank_refuses_mismatched_lengths():
    with pytest.raises(BadRequest):
        rank("63433b3ccf8e1ebe", ["63433b3c"])
    with pytest.raises(BadRequest):
        rank(0, [hex64(1), "ab"])
    with pytest.raises(BadRequest):
        rank(0, [1], limit=-1)


# ---- find_duplicates ---------------------------------------------------------------------


def greedy_reference(values: list[int], max_distance: int) -> list[list[int]]:
    """Ximilar's greedy clustering, record by record, by brute force."""
    removed = [False] * len(values)
    clusters = []
    for i, value in enumerate(values):
        if removed[i]:
            continue
        members = [i] + [
            j
            for j in range(i + 1, len(values))
            if not removed[j] and (value ^ values[j]).bit_count() <= max_distance
        ]
        for j in members[1:]:
            removed[j] = True
        if len(members) > 1:
            clusters.append(members)
    return clusters


@st.composite
def planted_hashes(draw, bits: int = 64):
    """Random hashes plus near-copies of some of them (up to a few bits over the distance)."""
    max_distance = draw(st.integers(0, 12))
    bases = draw(st.lists(st.integers(0, 2**bits - 1), max_size=40))
    values = list(bases)
    if bases:
        for _ in range(draw(st.integers(0, 40))):
            value = draw(st.sampled_from(bases))
            for bit in draw(st.sets(st.integers(0, bits - 1), max_size=max_distance + 2)):
                value ^= 1 << bit
            values.append(value)
    return draw(st.permutations(values)), max_distance


@settings(max_examples=150, deadline=None)
@given(planted_hashes())
def test_find_duplicates_equals_greedy_brute_force(case):
    values, max_distance = case
    expected = greedy_reference(values, max_distance)
    assert find_duplicates([hex64(v) for v in values], max_distance) == expected
    assert find_duplicates(values, max_distance) == expected


@settings(max_examples=40, deadline=None)
@given(planted_hashes(bits=968))
def test_find_duplicates_on_block_mean_sized_bit_strings(case):
    values, max_distance = case
    texts = [format(v, "0968b") for v in values]
    assert find_duplicates(texts, max_distance) == greedy_reference(values, max_distance)


def test_clusters_are_not_transitive_chains():
    a = 0
    b = 0b111  # 3 from a
    c = 0b111111  # 3 from b, 6 from a
    assert find_duplicates([a, b, c], 4) == [[0, 1]]  # c is not within 4 of the kept a
    assert find_duplicates([b, a, c], 4) == [[0, 1, 2]]  # b keeps both


def test_exact_copies_join_the_first_occurrence():
    h = ["ffff000000000000", "0000000000000000", "ffff000000000000", "0000000000000001"]
    assert find_duplicates(h, 0) == [[0, 2]]
    assert find_duplicates(h, 1) == [[0, 2], [1, 3]]
    assert find_duplicates(h, 64) == [[0, 1, 2, 3]]
    assert find_duplicates(h[:1], 5) == []
    assert find_duplicates([], 5) == []


@pytest.mark.parametrize("max_distance", [-1, 65, 2.5, True, "4"])
def test_find_duplicates_refuses_bad_distances(max_distance):
    with pytest.raises(BadRequest):
        find_duplicates(["63433b3ccf8e1ebe", "61433b3fcf8f9faf"], max_distance)


@pytest.mark.parametrize(
    "hashes",
    [
        ["63433b3ccf8e1ebe", "6343"],
        ["63433b3ccf8e1ebe", "zz433b3ccf8e1ebe"],
        [-1, 5],
        [2**64, 5],
        [None, "63433b3ccf8e1ebe"],
        [1.5, 2],
    ],
)
def test_find_duplicates_refuses_bad_hashes(hashes):
    with pytest.raises(BadRequest):
        find_duplicates(hashes, 3)
