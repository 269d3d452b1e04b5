"""All pairs of hashes within a Hamming distance: exact, and below quadratic time.

Multi-index hashing by the pigeonhole principle, in the combinatorial form of
Manku, Jain and Das Sarma, "Detecting near-duplicates for web crawling"
(WWW 2007): cut the L bits into k blocks. Two hashes at distance ≤ r differ
in at most r blocks, so they agree exactly on at least k − r of them, and so
on at least one of the C(k, r) ways to choose k − r blocks. For each choice,
sort the hashes by those blocks: equal keys are candidate pairs, and a
popcount keeps those within r. No pair within r is missed; a pair is reported
once, under the first choice (in ``itertools.combinations`` order) it agrees on.

For n random hashes one choice costs a sort of n keys plus about n²/2^(b+1)
candidates, b the bits it keeps. :func:`near_pairs` picks k by that estimate
and falls back to a vectorised brute force (n²/2 popcounts) when that is
cheaper (small n, or r so large that no choice keeps enough bits).

Hashes are rows of a uint64 matrix, one row per hash, most significant bit
first (bit p of a hash is bit 63 − p mod 64 of word p // 64). Everything is
numpy: the per-choice work is a handful of whole-array operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import combinations
from typing import NamedTuple

import numpy as np

from common.errors import BadRequest

# Refusals instead of running out of memory or time on pathological input
# (say, 10^5 distinct hashes all within the distance of each other):
MAX_PAIRS = 10_000_000  # near pairs held at once (~240 MB)
MAX_CHECKS = 2_000_000_000  # candidate or brute-force comparisons (~100 s)

# Rough costs in seconds on one core (fitted to bench/hash.py runs): per hash
# and choice of blocks (key, sort, run walk), per candidate pair checked, and
# per pair and word of brute force.
_CHOICE_COST = 5e-8
_CANDIDATE_COST = 5e-8
_BRUTE_COST = 5e-9
_MAX_CHOICES = 5_000
_BRUTE_CHUNK = 1 << 20  # distances computed at once by brute force

# Odd 64-bit multipliers that fold a multi-word key into one word (collisions only add candidates).
_FOLD = np.random.default_rng(0x5EED).integers(1, 2**63, size=64, dtype=np.uint64) * 2 + 1


class Pairs(NamedTuple):
    """Pairs of row numbers (first < second) and their Hamming distances."""

    first: np.ndarray
    second: np.ndarray
    distance: np.ndarray

    @classmethod
    def empty(cls) -> Pairs:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances between hashes in ``a`` and ``b`` (broadcast; words on the last axis).

    Small unsigned integers (uint8 for one word, else uint16).
    """
    counts = np.bitwise_count(a ^ b)
    if counts.shape[-1] == 1:
        return counts[..., 0]
    return counts.sum(axis=-1, dtype=np.uint16)


def near_pairs(
    words: np.ndarray, bits: int, max_distance: int, *, blocks: int | None = None
) -> Pairs:
    """Every pair of rows of ``words`` at Hamming distance ≤ ``max_distance``, sorted.

    ``words`` is an (n, w) uint64 matrix of ``bits``-bit hashes; rows may
    repeat. ``blocks`` forces the number of blocks k (> ``max_distance``, ≤
    ``bits``) instead of the cheapest by estimate.
    """
    n = len(words)
    if n < 2:
        return Pairs.empty()
    if blocks is None:
        blocks = _choose_blocks(n, words.shape[1], bits, max_distance)
    elif not max_distance < blocks <= bits:
        raise ValueError(f"blocks must be in ({max_distance}, {bits}], not {blocks}")
    if blocks is None:
        return brute_force_pairs(words, max_distance)
    return _sorted(_merge(_index_pairs(words, bits, max_distance, blocks)))


def brute_force_pairs(words: np.ndarray, max_distance: int) -> Pairs:
    """:func:`near_pairs` by comparing every pair, in chunks of rows (vectorised, O(n²))."""
    n = len(words)
    _check_budget(checks=n * (n - 1) // 2, pairs=0)
    rows = max(1, _BRUTE_CHUNK // max(n, 1))
    found, kept = [], 0
    for start in range(0, n - 1, rows):
        stop = min(start + rows, n - 1)
        d = distances(words[start:stop, None, :], words[None, start + 1 :, :])
        i, j = np.nonzero(d <= max_distance)
        j_abs = j + start + 1
        keep = j_abs > i + start
        i, j, j_abs = i[keep], j[keep], j_abs[keep]
        found.append(Pairs(i + start, j_abs, d[i, j]))
        kept += len(i)
        _check_budget(checks=0, pairs=kept)
    return _sorted(_merge(found))


def _check_budget(checks: int, pairs: int) -> None:
    if checks > MAX_CHECKS:
        raise BadRequest(
            f"finding near duplicates would take over {MAX_CHECKS:,} comparisons:"
            " lower max_distance or send fewer hashes"
        )
    if pairs > MAX_PAIRS:
        raise BadRequest(
            f"over {MAX_PAIRS:,} pairs of hashes are within max_distance: lower max_distance"
        )


def _choose_blocks(n: int, width: int, bits: int, r: int) -> int | None:
    """The number of blocks k with the lowest estimated cost, or None for brute force."""
    if r == 0:
        return 1  # equal keys over all bits: one sort
    best, best_cost = None, n * (n - 1) / 2 * width * _BRUTE_COST
    for k in range(r + 1, bits + 1):
        choices = math.comb(k, r)
        if choices > _MAX_CHOICES:
            break
        kept = sum(sorted(_block_sizes(bits, k))[: k - r])
        candidates = n * (n - 1) / 2 * 2.0**-kept
        cost = choices * (n * width * _CHOICE_COST + candidates * _CANDIDATE_COST)
        if cost < best_cost:
            best, best_cost = k, cost
    return best


def _block_sizes(bits: int, k: int) -> list[int]:
    return [len(block) for block in np.array_split(np.arange(bits), k)]


def _block_masks(bits: int, width: int, k: int) -> np.ndarray:
    """(k, width) uint64: the bits of each of k contiguous, near-equal blocks."""
    masks = np.zeros((k, width), dtype=np.uint64)
    for b, block in enumerate(np.array_split(np.arange(bits), k)):
        for p in block:
            masks[b, p // 64] |= np.uint64(1) << np.uint64(63 - p % 64)
    return masks


def _index_pairs(words: np.ndarray, bits: int, r: int, k: int) -> Iterator[Pairs]:
    """Pairs within ``r`` found under each choice of k − r of k blocks (each pair once)."""
    block_masks = _block_masks(bits, words.shape[1], k)
    checks = kept = 0
    for chosen in combinations(range(k), k - r):
        mask = np.bitwise_or.reduce(block_masks[list(chosen)], axis=0)
        indicator = _indicator(chosen, k)
        for a, b in _equal_key_batches(_keys(words, mask)):
            checks += len(a)
            d = distances(words[a], words[b])
            near = d <= r
            a, b, d = a[near], b[near], d[near]
            first_choice = _first_agreeing_blocks(words[a] ^ words[b], block_masks, k - r)
            mine = (first_choice == indicator).all(axis=1)
            kept += int(mine.sum())
            _check_budget(checks, kept)
            yield Pairs(a[mine], b[mine], d[mine])


def _keys(words: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One uint64 key per row: the masked bits, multiplicatively hashed to one word.

    Equal masked rows get equal keys; unequal ones rarely collide, and a
    collision only adds a candidate that the popcount then rejects.
    """
    keys = np.zeros(len(words), dtype=np.uint64)
    for word in np.flatnonzero(mask):
        keys += (words[:, word] & mask[word]) * _FOLD[word % len(_FOLD)]
    return keys


def _equal_key_batches(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All pairs of positions with equal keys, in batches: sort, then walk runs by offsets.

    Batch g holds the pairs g apart in sorted order (at most n of them). The
    sort is a plain ``np.sort`` (SIMD, several times faster than ``argsort``)
    of the key's high bits with the position in the low bits.
    """
    n = len(keys)
    position_bits = max(1, (n - 1).bit_length())
    low = np.uint64((1 << position_bits) - 1)
    packed = np.sort((keys & ~low) | np.arange(n, dtype=np.uint64))
    ordered, order = packed & ~low, (packed & low).astype(np.int64)
    starts = np.flatnonzero(ordered[1:] == ordered[:-1])
    gap = 1
    while starts.size:
        yield order[starts], order[starts + gap]
        gap += 1
        starts = starts[starts + gap < n]
        starts = starts[ordered[starts + gap] == ordered[starts]]


def _first_agreeing_blocks(xor: np.ndarray, block_masks: np.ndarray, count: int) -> np.ndarray:
    """(pairs, k) booleans: the first ``count`` blocks on which each pair agrees."""
    agree = ((xor[:, None, :] & block_masks[None, :, :]) == 0).all(axis=2)
    return agree & (np.cumsum(agree, axis=1) <= count)


def _indicator(chosen: tuple[int, ...], k: int) -> np.ndarray:
    row = np.zeros(k, dtype=bool)
    row[list(chosen)] = True
    return row


def _merge(parts: Iterator[Pairs] | list[Pairs]) -> Pairs:
    parts = list(parts)
    if not parts:
        return Pairs.empty()
    first, second, distance = (np.concatenate(column) for column in zip(*parts, strict=True))
    return Pairs(
        np.minimum(first, second).astype(np.int64),
        np.maximum(first, second).astype(np.int64),
        distance.astype(np.int64),
    )


def _sorted(pairs: Pairs) -> Pairs:
    order = np.lexsort((pairs.second, pairs.first))
    return Pairs(pairs.first[order], pairs.second[order], pairs.distance[order])
