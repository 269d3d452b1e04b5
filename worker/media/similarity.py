"""Compare perceptual hashes: Hamming distance, similarity, ranking and duplicate clusters.

Hashes are hex strings (``63433b3ccf8e1ebe``, any length), bit strings
(``0110…``, as Ximilar writes them: 64 characters or more) or 64-bit
integers. Bits keep the string's order (hex read most significant bit first),
so a hash and :func:`worker.media.hashes.to_bits` of it are the same hash.

Pure functions, no I/O: the batch and Ximilar-shaped endpoints call them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.errors import BadRequest

from .hamming_index import Pairs, distances, near_pairs

HashLike = str | int
MIN_BIT_STRING = 64  # shorter strings of 0s and 1s are read as hex

_HEX_DIGITS = "0123456789abcdefABCDEF"
_NIBBLE = np.full(128, -1, dtype=np.int16)  # ASCII code -> hex digit value, -1 if none
for _char in _HEX_DIGITS:
    _NIBBLE[ord(_char)] = int(_char, 16)


def hamming_distance(a: str, b: str) -> int:
    """How many bits differ between hashes ``a`` and ``b`` (hex or bit strings of equal length).

    Raises ``BadRequest`` for unequal lengths, empty strings or characters
    that are neither hex digits nor bits.
    """
    words, _bits = pack_hashes([a, b])
    return int(distances(words[0], words[1]))


def similarity(a: str, b: str) -> float:
    """1 − distance / bits (1.0 for equal hashes), as ImageKit reports for pHash."""
    words, bits = pack_hashes([a, b])
    return 1.0 - int(distances(words[0], words[1])) / bits


def rank(
    query: HashLike, hashes: Sequence[HashLike] | np.ndarray, *, limit: int | None = None
) -> tuple[list[int], list[int]]:
    """Indices of ``hashes`` from nearest to farthest from ``query``, and their distances.

    Ties keep input order; ``limit`` keeps the nearest ``limit``.
    """
    if limit is not None and limit < 0:
        raise BadRequest(f"limit must be ≥ 0, not {limit}")
    words, bits = pack_hashes(hashes)
    query_words, query_bits = pack_hashes([query])
    if len(words) and query_bits != bits:
        raise BadRequest(f"the query has {query_bits} bits, the hashes {bits}")
    d = distances(words, query_words)
    order = np.argsort(d, kind="stable")[:limit]
    return order.tolist(), d[order].tolist()


def find_duplicates(hashes: Sequence[HashLike] | np.ndarray, max_distance: int) -> list[list[int]]:
    """Clusters of near-duplicates: lists of indices, the kept record first, then those it removes.

    Shaped for Ximilar's ``remove_duplicates`` answer (a kept record carrying
    its ``removed_records``), grouped greedily in input order: the first
    record is kept and removes every later record within ``max_distance`` of
    it; the next record not yet removed is kept and removes those within
    ``max_distance`` of *it* among the rest, and so on. So every removed
    record is within ``max_distance`` of its kept record (clusters are not
    transitive chains, as connected components would be). Only clusters of
    two or more are returned, ordered by their kept record; each is in
    ascending order.

    Exact: all pairs within ``max_distance`` come from the index in
    :mod:`.hamming_index` (no pair missed), which is sub-quadratic for small
    distances relative to the hash length. ``BadRequest`` when the search
    would exceed its memory or work budget (``MAX_PAIRS``, ``MAX_CHECKS``).
    """
    words, bits = pack_hashes(hashes)
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer):
        raise BadRequest(f"max_distance must be an integer, not {max_distance!r}")
    if not 0 <= max_distance <= bits:
        raise BadRequest(f"max_distance must be between 0 and {bits}, not {max_distance}")
    if len(words) < 2:
        return []
    values, record_value = _distinct_in_order(words)
    leader = _greedy_leaders(near_pairs(values, bits, int(max_distance)), len(values))
    return _clusters(leader[record_value])


def _distinct_in_order(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows in order of first occurrence, and each record's row among them."""
    if words.shape[1] == 1:
        _, first, inverse = np.unique(words[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(words, axis=0, return_index=True, return_inverse=True)
    by_first = np.argsort(first)
    rank_of = np.empty_like(by_first)
    rank_of[by_first] = np.arange(len(by_first))
    return words[first[by_first]], rank_of[inverse.ravel()]


def _greedy_leaders(pairs: Pairs, count: int) -> np.ndarray:
    """For distinct values in first-occurrence order: the kept value each one belongs to."""
    leader = np.arange(count)
    removed = np.zeros(count, dtype=bool)
    if not len(pairs.first):
        return leader
    sources, starts = np.unique(pairs.first, return_index=True)
    ends = np.append(starts[1:], len(pairs.first))
    for source, start, end in zip(sources.tolist(), starts.tolist(), ends.tolist(), strict=True):
        if removed[source]:
            continue
        claimed = pairs.second[start:end]
        claimed = claimed[~removed[claimed]]
        removed[claimed] = True
        leader[claimed] = source
    return leader


def _clusters(record_leader: np.ndarray) -> list[list[int]]:
    """Group record indices by leader; groups of two or more, ordered by their first index."""
    sizes = np.bincount(record_leader, minlength=0)
    grouped = np.flatnonzero(sizes[record_leader] >= 2)
    order = np.argsort(record_leader[grouped], kind="stable")
    members, leaders = grouped[order], record_leader[grouped][order]
    cuts = np.flatnonzero(np.diff(leaders)) + 1
    clusters = [group.tolist() for group in np.split(members, cuts) if len(group)]
    clusters.sort(key=lambda group: group[0])
    return clusters


def pack_hashes(hashes: Sequence[HashLike] | np.ndarray) -> tuple[np.ndarray, int]:
    """Hashes as an (n, words) uint64 matrix (MSB first, zero-padded) and their bit length.

    Accepts a numpy array of unsigned integers (64-bit hashes), a sequence of
    ints in [0, 2⁶⁴) or of strings; all must have the same bit length.
    """
    if isinstance(hashes, np.ndarray) and hashes.dtype.kind == "u" and hashes.ndim == 1:
        return hashes.astype(np.uint64).reshape(-1, 1), 64
    items = list(hashes)
    if all(isinstance(item, int | np.integer) and not isinstance(item, bool) for item in items):
        return _pack_ints(items), 64
    texts = [_as_text(item) for item in items]
    lengths = {len(text) for text in texts}
    if len(lengths) > 1:
        raise BadRequest(f"hashes must all have the same length, not {sorted(lengths)}")
    return _pack_strings(texts)


def _as_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int | np.integer) and not isinstance(item, bool) and 0 <= item < 2**64:
        return format(int(item), "016x")
    raise BadRequest(f"not a hash: {item!r}")


def _pack_ints(items: list) -> np.ndarray:
    if any(not 0 <= int(item) < 2**64 for item in items):
        raise BadRequest("integer hashes must be in [0, 2**64)")
    return np.array([int(item) for item in items], dtype=np.uint64).reshape(-1, 1)


def _pack_strings(texts: list[str]) -> tuple[np.ndarray, int]:
    """Equal-length hex or bit strings to words; one vectorised pass over the characters."""
    if not texts:
        return np.zeros((0, 1), dtype=np.uint64), 64
    length = len(texts[0])
    if length == 0:
        raise BadRequest("empty hash")
    try:
        raw = "".join(texts).encode("utf-32-le")
    except UnicodeEncodeError:
        raise BadRequest("not a hex or bit string: it holds unpaired surrogates") from None
    codes = np.frombuffer(raw, dtype=np.uint32).reshape(-1, length)
    nibbles = np.where(codes < 128, _NIBBLE[np.minimum(codes, 127)], -1)
    bad = np.flatnonzero((nibbles < 0).any(axis=1))
    if bad.size:
        raise BadRequest(f"not a hex or bit string: {texts[bad[0]][:80]!r}")
    if length >= MIN_BIT_STRING and (nibbles <= 1).all():
        bits = nibbles.astype(np.uint8)
    else:
        shifts = np.array([3, 2, 1, 0], dtype=np.int16)
        bits = ((nibbles[:, :, None] >> shifts) & 1).astype(np.uint8).reshape(len(texts), -1)
    return _pack_bits(bits), bits.shape[1]


def _pack_bits(bits: np.ndarray) -> np.ndarray:
    """(n, L) 0/1 array -> (n, ceil(L/64)) uint64, most significant bit first."""
    n, length = bits.shape
    width = -(-length // 64)
    padded = np.zeros((n, width * 64), dtype=np.uint8)
    padded[:, :length] = bits
    return np.packbits(padded, axis=1).view(">u8").astype(np.uint64)
