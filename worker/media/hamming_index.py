"""All pairs of hashes within a Hamming distance: exact, and below quadratic time.

Multi-index hashing by the pigeonhole principle (Manku, Jain and Das Sarma,
"Detecting near-duplicates for web crawling", WWW 2007; Norouzi, Punjani and
Fleet, "Fast exact search in Hamming space with multi-index hashing", TPAMI
2014): cut the L bits into k blocks. Two hashes at distance ≤ r differ in at
most r blocks. Each *table* is a set of s blocks; if every set of r blocks
misses at least one table, a pair within r agrees exactly on all the blocks
of some table. For each table, sort the hashes by those blocks: equal keys
are candidate pairs, and a popcount keeps those within r. No pair within r is
missed; a pair is reported once, under the first table it agrees on.

Manku et al. take every choice of s = k − r blocks, C(k, r) tables. With
fewer, finer blocks (s < k − r) a *covering design* needs far fewer tables
for keys of the same length (every r-set of blocks must miss a table: the
complements of the tables cover the r-sets; Gordon, Kuperberg and Patashnik,
"New constructions for covering designs", J. Combin. Des. 1995). We build one
greedily (Chvátal, "A greedy heuristic for the set-covering problem", 1979):
for 64 bits and r = 8, 16 blocks of 4 bits give 210 tables with 20-bit keys,
where Manku's 12 blocks need 495.

For n random hashes a table costs a sort of n keys plus about n²/2^(b+1)
candidates, b the bits it keeps. :func:`near_pairs` picks (k, s) by that
estimate and falls back to a vectorised brute force (n²/2 popcounts) when
that is cheaper (small n, or r so large that no table keeps enough bits).

Hashes are rows of a uint64 matrix, one row per hash, most significant bit
first (bit p of a hash is bit 63 − p mod 64 of word p // 64). Everything is
numpy: the per-table work is a handful of whole-array operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

import numpy as np

from common.errors import BadRequest

# Refusals instead of running out of memory or time on pathological input
# (say, 10^5 distinct hashes all within the distance of each other):
MAX_PAIRS = 10_000_000  # near pairs held at once (~240 MB)
MAX_CHECKS = 2_000_000_000  # candidate or brute-force comparisons (~100 s)

# Rough costs in seconds on one core (fitted to bench/dedupe.py runs): per hash
# and table (key, sort, run walk), per candidate pair checked, per pair and word
# of brute force, and per incidence the greedy covering handles (once per process).
_TABLE_COST = 4e-8
_CANDIDATE_COST = 4e-8
_BRUTE_COST = 5e-9
_GREEDY_COST = 3e-7
_MAX_TABLES = 5_000
_GREEDY_MAX_BLOCKS = 20  # the owner look-up table has 2^k entries
_GREEDY_MAX_INCIDENCES = 3_000_000  # (table, r-set) pairs the greedy holds at once
_GREEDY_SPREAD = 2.7  # greedy designs need ~this many times C(k, r) / C(k − s, r) tables
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
    words: np.ndarray,
    bits: int,
    max_distance: int,
    *,
    blocks: int | None = None,
    keep: int | None = None,
) -> Pairs:
    """Every pair of rows of ``words`` at Hamming distance ≤ ``max_distance``, sorted.

    ``words`` is an (n, w) uint64 matrix of ``bits``-bit hashes; rows may
    repeat. ``blocks`` forces the number of blocks k (> ``max_distance``, ≤
    ``bits``) and ``keep`` the blocks s per table (default k − ``max_distance``,
    Manku et al.'s tables; fewer builds a covering, for k ≤ 20) instead of the
    cheapest pair by estimate.
    """
    n, r = len(words), max_distance
    if n < 2:
        return Pairs.empty()
    if blocks is None:
        design = _choose_design(n, words.shape[1], bits, r)
        if design is None:
            return brute_force_pairs(words, r)
        blocks, keep = design
    elif not r < blocks <= bits:
        raise ValueError(f"blocks must be in ({r}, {bits}], not {blocks}")
    keep = blocks - r if keep is None else keep
    if not 0 < keep <= blocks - r or (keep < blocks - r and blocks > _GREEDY_MAX_BLOCKS):
        raise ValueError(f"keep must be in (0, {blocks - r}] (below only for ≤ 20 blocks)")
    return _sorted(_merge(_index_pairs(words, bits, r, blocks, keep)))


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


# ---- choosing and building the tables -------------------------------------------------------


def _choose_design(n: int, width: int, bits: int, r: int) -> tuple[int, int] | None:
    """(blocks k, blocks per table s) with the lowest estimated cost, or None for brute force."""
    if r == 0:
        return 1, 1  # equal keys over all bits: one sort
    pairs = n * (n - 1) / 2
    best, best_cost = None, pairs * width * _BRUTE_COST
    for k in range(r + 1, bits + 1):
        if math.comb(k, r) > _MAX_TABLES and k > _GREEDY_MAX_BLOCKS:
            break
        sizes = sorted(_block_sizes(bits, k))
        for s in range(1, k - r + 1) if k <= _GREEDY_MAX_BLOCKS else [k - r]:
            tables, build = _design_size(k, s, r)
            if tables > _MAX_TABLES:
                continue
            candidates = pairs * 2.0 ** -sum(sizes[:s])
            cost = tables * (n * width * _TABLE_COST + candidates * _CANDIDATE_COST) + build
            if cost < best_cost:
                best, best_cost = (k, s), cost
    return best


def _design_size(k: int, s: int, r: int) -> tuple[float, float]:
    """Estimated tables of the (k, s) design for distance r, and the seconds to build it."""
    if s == k - r:
        return math.comb(k, r), 0.0
    incidences = max(math.comb(k, s) * math.comb(k - s, r), math.comb(k, r) * math.comb(k - r, s))
    if k > _GREEDY_MAX_BLOCKS or incidences > _GREEDY_MAX_INCIDENCES:
        return math.inf, math.inf
    return _GREEDY_SPREAD * math.comb(k, r) / math.comb(k - s, r), incidences * _GREEDY_COST


@lru_cache(maxsize=32)
def covering(k: int, s: int, r: int) -> tuple[int, ...]:
    """Tables of s of k blocks (bit b of a table: block b) such that every r blocks miss one.

    s = k − r: all C(k, r) of them in lexicographic order (Manku et al.).
    Fewer blocks per table: a greedy covering design (Chvátal), each step
    taking the table that misses the most r-sets of blocks not yet missed by
    a table taken (ties: the lowest in lexicographic order). Deterministic.
    """
    if s == k - r:
        return tuple(sum(1 << b for b in chosen) for chosen in combinations(range(k), s))
    if r == 0:
        return ((1 << s) - 1,)  # equal hashes agree on any blocks
    error_sets, tables = _subsets(k, r), _subsets(k, s)
    full = (1 << k) - 1
    missed = _index_of(error_sets, _sub_subsets(full ^ tables, k, r))  # table -> r-sets it misses
    missing = _index_of(tables, _sub_subsets(full ^ error_sets, k, s))  # r-set -> tables missing it
    gains = np.full(len(tables), missed.shape[1], dtype=np.int64)
    open_ = np.ones(len(error_sets), dtype=bool)
    chosen = []
    while open_.any():
        best = int(np.argmax(gains))
        chosen.append(int(tables[best]))
        newly = missed[best][open_[missed[best]]]
        open_[newly] = False
        gains -= np.bincount(missing[newly].ravel(), minlength=len(tables))
    return tuple(chosen)


def _subsets(k: int, size: int) -> np.ndarray:
    """Bitmasks of every ``size``-subset of range(k), in lexicographic order of the subsets."""
    chosen = np.array(list(combinations(range(k), size)), dtype=np.int64).reshape(-1, size)
    return (np.int64(1) << chosen).sum(axis=1)


def _sub_subsets(masks: np.ndarray, k: int, size: int) -> np.ndarray:
    """(len(masks), C(m, size)): every ``size``-subset of each mask's m set bits (m all equal)."""
    set_bits = np.nonzero((masks[:, None] >> np.arange(k)) & 1)[1].reshape(len(masks), -1)
    picks = np.array(list(combinations(range(set_bits.shape[1]), size)), dtype=np.int64)
    subsets = np.zeros((len(masks), len(picks)), dtype=np.int64)
    for column in picks.reshape(len(picks), size).T:  # one member at a time: small temporaries
        subsets |= np.int64(1) << set_bits[:, column]
    return subsets


def _index_of(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    return order[np.searchsorted(values, wanted, sorter=order)]


def _block_sizes(bits: int, k: int) -> list[int]:
    return [len(block) for block in np.array_split(np.arange(bits), k)]


def _block_masks(bits: int, width: int, k: int) -> np.ndarray:
    """(k, width) uint64: the bits of each of k contiguous, near-equal blocks."""
    masks = np.zeros((k, width), dtype=np.uint64)
    for b, block in enumerate(np.array_split(np.arange(bits), k)):
        for p in block:
            masks[b, p // 64] |= np.uint64(1) << np.uint64(63 - p % 64)
    return masks


# ---- searching ------------------------------------------------------------------------------


def _index_pairs(words: np.ndarray, bits: int, r: int, k: int, keep: int) -> Iterator[Pairs]:
    """Pairs within ``r`` found under each table (each pair once: under its first table)."""
    block_masks = _block_masks(bits, words.shape[1], k)
    tables = covering(k, keep, r)
    owner = _Owner(k, tables, keep, manku=keep == k - r)
    sorter = _KeySorter(words)
    # Gathers from a 1-D array are several times faster than rows of an (n, 1) matrix.
    flat = np.ascontiguousarray(words[:, 0]) if words.shape[1] == 1 else None
    checks = kept = 0
    for index, table in enumerate(tables):
        members = [b for b in range(k) if table >> b & 1]
        mask = np.bitwise_or.reduce(block_masks[members], axis=0)
        for a, b, equal in sorter.candidates(words, mask, r):
            checks += equal
            if flat is None:
                d = distances(words[a], words[b])
            else:
                d = np.bitwise_count(flat[a] ^ flat[b])
            near = d <= r
            a, b, d = a[near], b[near], d[near]
            xor = words[a] ^ words[b]
            agree = ((xor[:, None, :] & block_masks[None, :, :]) == 0).all(axis=2)
            mine = owner.is_first(agree, index)
            kept += int(mine.sum())
            _check_budget(checks, kept)
            yield Pairs(a[mine], b[mine], d[mine])


class _Owner:
    """Which table a pair belongs to: the first (in order) whose blocks it all agrees on.

    Manku's tables (every s = k − r blocks, lexicographic): the pair's first s
    agreeing blocks. A covering: a look-up over all 2^k agreement sets, filled
    by a subset-minimum sweep (first[A] = min over the tables inside A).
    """

    def __init__(self, k: int, tables: tuple[int, ...], keep: int, manku: bool) -> None:
        self.keep, self.tables, self.first = keep, tables, None
        if not manku:
            first = np.full(1 << k, len(tables), dtype=np.int32)
            first[list(tables)] = np.arange(len(tables), dtype=np.int32)
            for b in range(k):  # first[A] = min(first[A], first[A without b]) for b in A
                view = first.reshape(-1, 2, 1 << b)
                np.minimum(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
            self.first = first
            self.weights = np.int64(1) << np.arange(k, dtype=np.int64)
        self.k = k

    def is_first(self, agree: np.ndarray, index: int) -> np.ndarray:
        """Booleans: is table ``index`` the first one each pair (row of ``agree``) agrees on?"""
        if self.first is None:
            leading = agree & (np.cumsum(agree, axis=1) <= self.keep)
            table = self.tables[index]
            return (leading == [bool(table >> b & 1) for b in range(self.k)]).all(axis=1)
        return self.first[agree.astype(np.int64) @ self.weights] == index


class _KeySorter:
    """Sorts each table's keys in one uint64 per row: key hash | row number | folded hash.

    The low ``fold_bits`` hold the whole hash XOR-folded (each bit lands on
    one bit, so a folded distance never exceeds the true one): pairs whose
    folded distance already exceeds r are dropped from sequential reads of
    the sorted array, before any random gather of the hashes themselves.
    Buffers are kept across tables.
    """

    def __init__(self, words: np.ndarray) -> None:
        n = self.n = len(words)
        self.row_bits = max(1, (n - 1).bit_length())
        self.fold_bits = min(24, max(0, 60 - 2 * self.row_bits))
        self.low_bits = np.uint64(self.row_bits + self.fold_bits)
        self.high_mask = ~np.uint64((1 << (self.row_bits + self.fold_bits)) - 1)
        self.fold_mask = np.uint64((1 << self.fold_bits) - 1)
        self.row_mask = np.uint64((1 << self.row_bits) - 1)
        whole = np.bitwise_xor.reduce(words, axis=1)
        folded = np.zeros(n, dtype=np.uint64)
        for shift in range(0, 64, self.fold_bits or 64):
            folded ^= whole >> np.uint64(shift)
        rows = np.arange(n, dtype=np.uint64) << np.uint64(self.fold_bits)
        self.tail = rows | (folded & self.fold_mask)
        self.packed = np.empty(n, dtype=np.uint64)
        self.spare = np.empty(n + 1, dtype=np.uint64)
        self.spare[n] = np.iinfo(np.uint64).max  # keys are < 2^(64 - low_bits)

    def candidates(
        self, words: np.ndarray, mask: np.ndarray, r: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """Pairs of rows with equal masked bits and folded distance ≤ r, and how many were equal.

        In batches: batch g holds the pairs g apart in sorted order. The key
        is the masked bits folded to one word by odd multipliers (equal masked
        rows, equal keys; a rare collision only adds a candidate the popcount
        rejects); ``ndarray.sort`` sorts in place (SIMD, several times faster
        than ``argsort``).
        """
        packed, spare = self.packed, self.spare
        for i, word in enumerate(np.flatnonzero(mask)):
            part = spare[: self.n]
            np.bitwise_and(words[:, word], mask[word], out=part)
            np.multiply(part, _FOLD[word % len(_FOLD)], out=packed if i == 0 else part)
            if i:
                np.add(packed, part, out=packed)
        np.bitwise_and(packed, self.high_mask, out=packed)
        np.bitwise_or(packed, self.tail, out=packed)
        packed.sort()
        keys = spare[: self.n]  # spare[n] is a sentinel no key equals: runs end there
        np.right_shift(packed, self.low_bits, out=keys)
        starts = np.flatnonzero(keys[1:] == keys[:-1])
        gap = 1
        while starts.size:
            ends = starts + gap
            close = np.bitwise_count((packed[starts] ^ packed[ends]) & self.fold_mask) <= r
            yield self._rows_at(starts[close]), self._rows_at(ends[close]), len(starts)
            gap += 1
            starts = starts[spare[starts + gap] == spare[starts]]

    def _rows_at(self, where: np.ndarray) -> np.ndarray:
        rows = (self.packed[where] >> np.uint64(self.fold_bits)) & self.row_mask
        return rows.view(np.int64)  # row numbers < 2^63


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
