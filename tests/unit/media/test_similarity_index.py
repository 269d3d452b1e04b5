"""The near-pair index: whatever the blocks and tables, exactly the pairs brute force finds."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadRequest
from worker.media import hamming_index
from worker.media.hamming_index import brute_force_pairs, covering, near_pairs
from worker.media.similarity import find_duplicates, pack_hashes


def assert_same_pairs(found, expected):
    for got, want in zip(found, expected, strict=True):
        assert np.array_equal(got, want)


@st.composite
def clustered_words(draw, width: int):
    """Rows of ``width`` words: random rows, near-copies of them, and exact copies."""
    bits = 64 * width
    max_distance = draw(st.integers(0, 10))
    bases = draw(st.lists(st.integers(0, 2**bits - 1), min_size=1, max_size=30))
    values = list(bases)
    for _ in range(draw(st.integers(0, 50))):
        value = draw(st.sampled_from(bases))
        for bit in draw(st.sets(st.integers(0, bits - 1), max_size=max_distance + 3)):
            value ^= 1 << bit
        values.append(value)
    values = draw(st.permutations(values))
    words, _ = pack_hashes([format(v, f"0{bits // 4}x") for v in values])
    return words, bits, max_distance


@settings(max_examples=120, deadline=None)
@given(clustered_words(width=1), st.integers(1, 4))
def test_index_equals_brute_force_for_every_block_count(case, extra_blocks):
    words, bits, max_distance = case
    expected = brute_force_pairs(words, max_distance)
    blocks = min(max_distance + extra_blocks, bits)
    assert_same_pairs(near_pairs(words, bits, max_distance, blocks=blocks), expected)
    assert_same_pairs(near_pairs(words, bits, max_distance), expected)


@settings(max_examples=40, deadline=None)
@given(clustered_words(width=3), st.integers(1, 3))
def test_index_equals_brute_force_on_multi_word_hashes(case, extra_blocks):
    words, bits, max_distance = case
    blocks = max_distance + extra_blocks
    expected = brute_force_pairs(words, max_distance)
    assert_same_pairs(near_pairs(words, bits, max_distance, blocks=blocks), expected)


@settings(max_examples=120, deadline=None)
@given(clustered_words(width=1), st.integers(1, 6), st.data())
def test_index_equals_brute_force_with_covering_tables(case, extra_blocks, data):
    """Tables of fewer than k − r blocks (a greedy covering design) miss no pair either."""
    words, bits, max_distance = case
    blocks = min(max_distance + extra_blocks, 20)
    keep = data.draw(st.integers(1, blocks - max_distance))
    expected = brute_force_pairs(words, max_distance)
    assert_same_pairs(near_pairs(words, bits, max_distance, blocks=blocks, keep=keep), expected)


@settings(max_examples=30, deadline=None)
@given(clustered_words(width=2), st.integers(2, 5))
def test_covering_tables_on_multi_word_hashes(case, extra_blocks):
    words, bits, max_distance = case
    blocks = max_distance + extra_blocks
    expected = brute_force_pairs(words, max_distance)
    assert_same_pairs(near_pairs(words, bits, max_distance, blocks=blocks, keep=1), expected)


@pytest.mark.parametrize(
    ("k", "s", "r"), [(16, 5, 8), (15, 5, 8), (12, 4, 4), (14, 6, 4), (10, 2, 3), (9, 8, 1)]
)
def test_covering_leaves_every_set_of_r_blocks_a_table_it_misses(k, s, r):
    tables = covering(k, s, r)
    assert all(table.bit_count() == s for table in tables)
    for errors in combinations(range(k), r):
        hit = sum(1 << b for b in errors)
        assert any(table & hit == 0 for table in tables), errors
    assert covering(k, s, r) == tables  # deterministic (and cached)


def test_covering_needs_fewer_tables_than_every_choice():
    assert len(covering(16, 5, 8)) <= 210 < len(covering(12, 4, 8)) == math.comb(12, 8)
    assert len(covering(12, 4, 8)) == len(set(covering(12, 4, 8)))


def test_a_million_hashes_at_distance_8_use_a_covering():
    blocks, keep = hamming_index._choose_design(10**6, 1, 64, 8)
    assert keep < blocks - 8
    assert len(covering(blocks, keep, 8)) < math.comb(12, 8) / 2


def test_folded_prefilter_keeps_every_pair_without_it(monkeypatch):
    """The folded-distance prefilter only drops pairs the popcount would drop."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**64 - 1, 3000, dtype=np.uint64, endpoint=True)
    flips = np.uint64(1) << rng.integers(0, 64, (3000, 6)).astype(np.uint64)
    words = np.concatenate([base, base ^ np.bitwise_or.reduce(flips, axis=1)]).reshape(-1, 1)
    expected = brute_force_pairs(words, 6)
    assert_same_pairs(near_pairs(words, 64, 6, blocks=10, keep=2), expected)
    real_init = hamming_index._KeySorter.__init__

    def without_fold(self, words):
        real_init(self, words)
        self.fold_mask = np.uint64(0)

    monkeypatch.setattr(hamming_index._KeySorter, "__init__", without_fold)
    assert_same_pairs(near_pairs(words, 64, 6, blocks=10, keep=2), expected)


@pytest.mark.parametrize(("n", "max_distance"), [(20_000, 4), (20_000, 8), (5_000, 12)])
def test_index_on_many_random_hashes_with_planted_near_duplicates(n, max_distance):
    rng = np.random.default_rng(n + max_distance)
    base = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    copies = base[rng.integers(0, n, n // 20)].copy()
    for i in range(len(copies)):
        for bit in rng.choice(64, rng.integers(0, max_distance + 3), replace=False):
            copies[i] ^= np.uint64(1) << np.uint64(bit)
    words = np.concatenate([base, copies]).reshape(-1, 1)
    found = near_pairs(words, 64, max_distance)
    assert len(found.first) >= n // 40  # planted pairs are there
    assert_same_pairs(found, brute_force_pairs(words, max_distance))


def test_pairs_are_ordered_with_their_distances():
    words, _ = pack_hashes([0b0, 0b1, 0b11, 0b0])
    for found in (near_pairs(words, 64, 1, blocks=2), brute_force_pairs(words, 1)):
        assert found.first.tolist() == [0, 0, 1, 1]
        assert found.second.tolist() == [1, 3, 2, 3]
        assert found.distance.tolist() == [1, 0, 1, 1]


def test_block_count_must_exceed_the_distance():
    words, _ = pack_hashes([0, 1, 2])
    with pytest.raises(ValueError, match="blocks"):
        near_pairs(words, 64, 4, blocks=4)
    with pytest.raises(ValueError, match="keep"):
        near_pairs(words, 64, 4, blocks=8, keep=5)
    with pytest.raises(ValueError, match="keep"):
        near_pairs(words, 64, 4, blocks=30, keep=3)  # coverings only up to 20 blocks


def _dense_ball() -> np.ndarray:
    """All 64-bit hashes of weight ≤ 2: 2081 distinct values, every pair within distance 4."""
    values = [0] + [1 << i for i in range(64)]
    values += [(1 << i) | (1 << j) for i in range(64) for j in range(i + 1, 64)]
    return np.array(values, dtype=np.uint64)


def test_dense_input_is_handled_within_the_budget():
    values = _dense_ball()
    found = near_pairs(values.reshape(-1, 1), 64, 4)
    assert len(found.first) == len(values) * (len(values) - 1) // 2
    assert find_duplicates(values, 4) == [list(range(len(values)))]


def test_too_many_near_pairs_is_a_bad_request_not_a_memory_blow_up(monkeypatch):
    monkeypatch.setattr(hamming_index, "MAX_PAIRS", 10_000)
    with pytest.raises(BadRequest, match="lower max_distance"):
        find_duplicates(_dense_ball(), 4)


def test_too_much_work_is_a_bad_request_not_a_hang(monkeypatch):
    monkeypatch.setattr(hamming_index, "MAX_CHECKS", 1_000_000)
    values = np.random.default_rng(9).integers(0, 2**63, 3000, dtype=np.uint64)
    with pytest.raises(BadRequest, match="comparisons"):
        find_duplicates(values, 40)  # brute force: 4.5 million comparisons
    with pytest.raises(BadRequest, match="comparisons"):
        near_pairs(_dense_ball().reshape(-1, 1), 64, 4, blocks=6)  # ~2 million candidates
