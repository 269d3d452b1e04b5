"""Near-duplicate search over 64-bit hashes: exifq's index beside faiss and brute force.

    python -m bench.dedupe [--sizes 10000,100000,1000000] [--distances 4,8] [--write-docs]

Data: n random 64-bit hashes plus n/100 copies of some of them with up to d
bits flipped (generated from a fixed seed, identically in every process).
Each side runs in its own fresh process, one core, on the same data, and
answers every pair within distance d (its time includes building its index):

- exifq ``near_pairs`` (worker/media/hamming_index.py), and ``find_duplicates``
  (those pairs plus the greedy clusters the API returns) for information;
- faiss ``IndexBinaryMultiHash`` (``add`` + ``range_search`` of every hash),
  one OpenMP thread, exact by the pigeonhole principle: ``nhash`` blocks of
  ``b`` bits, ``nflip`` flips each, nhash · (nflip + 1) > d. nhash=3, b=21 was
  the fastest of (3,21), (4,16), (5,12), (9,7) at 10^5 hashes, d = 8;
- numpy brute force: ``np.bitwise_count`` of XORs in row blocks, run whole up
  to ``--brute-limit`` hashes; above it, timed on a sample of rows against all
  n and extrapolated from that measured cost per pair (marked so).

Pair sets are checked equal (exifq, faiss and whole brute force). Peak memory
is each process's VmHWM, beside the VmHWM of a process that only generated
the data.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time

import numpy as np

from bench.common import Report, interleaved, leg_answer, mb, parser, ratio, run_leg, start

# IndexBinaryMultiHash's shape: blocks of 21 bits, flips per block enough for d.
FAISS_NHASH, FAISS_BITS = 3, 21
BRUTE_ROWS, BRUTE_COLUMNS = 64, 4096  # a tile of the brute-force comparison


def planted_hashes(n: int, max_distance: int, seed: int) -> np.ndarray:
    """n random 64-bit hashes plus n/100 copies of some, with up to max_distance bits flipped."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    copies = base[rng.integers(0, n, n // 100)].copy()
    flips = rng.integers(0, max_distance + 1, len(copies))
    for bit in range(max_distance):
        chosen = flips > bit
        positions = rng.integers(0, 64, int(chosen.sum())).astype(np.uint64)
        copies[chosen] ^= np.uint64(1) << positions
    return np.concatenate([base, copies])


def digest(first: np.ndarray, second: np.ndarray) -> str:
    """A fingerprint of a set of pairs (i < j), independent of their order."""
    keys = np.sort(first.astype(np.uint64) << np.uint64(32) | second.astype(np.uint64))
    return hashlib.sha1(keys.tobytes()).hexdigest()[:12]


# ---- legs: each runs in a fresh process -----------------------------------------------------


def leg_data(values: np.ndarray, d: int) -> dict:
    return {}


def leg_ours(values: np.ndarray, d: int) -> dict:
    from worker.media.hamming_index import near_pairs
    from worker.media.similarity import find_duplicates

    start, cpu = time.perf_counter(), time.process_time()
    pairs = near_pairs(values.reshape(-1, 1), 64, d)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    clusters = find_duplicates(values, d)
    clusters_seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": cpu,
        "clusters_seconds": clusters_seconds,
        "clusters": len(clusters),
        "pairs": len(pairs.first),
        "digest": digest(pairs.first, pairs.second),
    }


def leg_faiss(values: np.ndarray, d: int) -> dict:
    import faiss

    faiss.omp_set_num_threads(1)
    nflip = math.ceil((d + 1) / FAISS_NHASH) - 1
    codes = values.astype("<u8").view(np.uint8).reshape(-1, 8)
    start, cpu = time.perf_counter(), time.process_time()
    index = faiss.IndexBinaryMultiHash(64, FAISS_NHASH, FAISS_BITS)
    index.nflip = nflip
    index.add(codes)
    limits, _, found = index.range_search(codes, d + 1)  # keeps distances < radius
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    query = np.repeat(np.arange(len(values)), np.diff(limits).astype(np.int64))
    mine = query < found
    return {
        "seconds": seconds,
        "cpu": cpu,
        "pairs": int(mine.sum()),
        "digest": digest(query[mine], found[mine]),
        "config": f"nhash={FAISS_NHASH}, b={FAISS_BITS}, nflip={nflip}",
    }


def brute_rows(values: np.ndarray, rows: range, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j > i) within d for i in ``rows``: popcounts of XORs, tile by tile.

    Tiles of BRUTE_ROWS x BRUTE_COLUMNS stay in cache; the XOR and the
    popcount write into buffers kept across tiles.
    """
    xor = np.empty((BRUTE_ROWS, BRUTE_COLUMNS), dtype=np.uint64)
    counts = np.empty((BRUTE_ROWS, BRUTE_COLUMNS), dtype=np.uint8)
    firsts, seconds = [], []
    for top in range(rows.start, rows.stop, BRUTE_ROWS):
        block = values[top : min(top + BRUTE_ROWS, rows.stop), None]
        for left in range(top + 1, len(values), BRUTE_COLUMNS):
            right = values[None, left : left + BRUTE_COLUMNS]
            shape = (len(block), right.shape[1])
            x, c = xor[: shape[0], : shape[1]], counts[: shape[0], : shape[1]]
            np.bitwise_xor(block, right, out=x)
            np.bitwise_count(x, out=c)
            i, j = np.nonzero(c <= d)
            j += left
            keep = j > i + top
            firsts.append(i[keep] + top)
            seconds.append(j[keep])
    return np.concatenate(firsts), np.concatenate(seconds)


def leg_brute(values: np.ndarray, d: int, limit: int) -> dict:
    """The whole brute force up to ``limit`` hashes; above, rows sampled across the matrix."""
    n = len(values)
    if n <= limit:
        start, cpu = time.perf_counter(), time.process_time()
        first, second = brute_rows(values, range(n), d)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        return {
            "seconds": seconds,
            "cpu": cpu,
            "pairs": len(first),
            "digest": digest(first, second),
        }
    sample = max(BRUTE_ROWS, limit**2 // (2 * n))  # about the pairs of a whole run at ``limit``
    compared, elapsed, cpu = 0, 0.0, 0.0
    for part in range(4):  # four slices spread over the rows (each compares against the rest)
        begin = part * (n // 4)
        rows = range(begin, begin + sample // 4)
        start, cpu_start = time.perf_counter(), time.process_time()
        brute_rows(values, rows, d)
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        compared += sum(n - 1 - i for i in rows)
    pairs = n * (n - 1) / 2
    return {"seconds": elapsed / compared * pairs, "cpu": cpu / compared * pairs, "sampled": True}


# ---- the report ------------------------------------------------------------------------------


def measure(n: int, d: int, brute_limit: int, faiss_limit: int) -> list[object]:
    args = ("--n", str(n), "--d", str(d), "--brute-limit", str(brute_limit))
    data = run_leg("bench.dedupe", "data", *args)
    ours = run_leg("bench.dedupe", "ours", *args)
    faiss = run_leg("bench.dedupe", "faiss", *args) if n <= faiss_limit else None
    brute = run_leg("bench.dedupe", "brute", *args)
    if faiss:
        assert (faiss["pairs"], faiss["digest"]) == (ours["pairs"], ours["digest"]), (ours, faiss)
    if not brute.get("sampled"):
        assert (brute["pairs"], brute["digest"]) == (ours["pairs"], ours["digest"]), (ours, brute)
    nan = float("nan")
    faiss = faiss or {"seconds": nan, "cpu": nan, "peak_mb": nan}
    mark = "*" if brute.get("sampled") else ""

    def both(side: dict) -> str:
        return f"{side['seconds']:.2f} s / {side['cpu']:.2f} s{mark if side is brute else ''}"

    return [
        f"{n + n // 100:,}",
        d,
        ours["pairs"],
        both(ours),
        f"{ours['clusters_seconds']:.2f} s",
        both(faiss),
        both(brute),
        f"{ratio(faiss['seconds'], ours['seconds'])} / {ratio(faiss['cpu'], ours['cpu'])}",
        f"{ratio(brute['seconds'], ours['seconds'])} / {ratio(brute['cpu'], ours['cpu'])}{mark}",
        f"{mb(ours['peak_mb'])} / {mb(faiss['peak_mb'])} / {mb(brute['peak_mb'])}",
        mb(data["peak_mb"]),
    ]


def warm_small(report: Report, repeat: int) -> None:
    """In one warm process: what a single remove_duplicates request of 10^4 hashes costs."""
    import faiss

    from worker.media.hamming_index import near_pairs

    faiss.omp_set_num_threads(1)
    values = planted_hashes(10_000, 8, seed=10_008)
    codes = values.astype("<u8").view(np.uint8).reshape(-1, 8)

    def faiss_run() -> None:
        index = faiss.IndexBinaryMultiHash(64, FAISS_NHASH, FAISS_BITS)
        index.nflip = 2
        index.add(codes)
        index.range_search(codes, 9)

    medians = interleaved(
        {
            "ours": lambda: near_pairs(values.reshape(-1, 1), 64, 8),
            "faiss": faiss_run,
            "brute": lambda: brute_rows(values, range(len(values)), 8),
        },
        repeat,
    )
    report.section(
        "Warm, one process: 10,100 hashes at distance 8",
        f"The three sides in turn in one process (imports and first calls done), median of"
        f" {repeat}: a request-sized search.",
    )
    report.table(
        ["exifq", "faiss (1 thread)", "brute force", "faiss / exifq", "brute / exifq"],
        [
            [
                f"{medians['ours'] * 1e3:.1f} ms",
                f"{medians['faiss'] * 1e3:.1f} ms",
                f"{medians['brute'] * 1e3:.1f} ms",
                ratio(medians["faiss"], medians["ours"]),
                ratio(medians["brute"], medians["ours"]),
            ]
        ],
    )


def main(argv: list[str] | None = None) -> None:
    cli = parser(__doc__)
    cli.add_argument("--sizes", default="10000,100000,1000000", help="random hashes (+1 %%)")
    cli.add_argument("--distances", default="4,8", help="max distances")
    cli.add_argument("--brute-limit", type=int, default=30_000, help="largest whole brute force")
    cli.add_argument("--faiss-limit", type=int, default=1_000_000, help="largest n faiss runs")
    cli.add_argument("--repeat", type=int, default=7, help="runs of the warm comparison")
    cli.add_argument("--n", type=int, help=argparse.SUPPRESS)
    cli.add_argument("--d", type=int, help=argparse.SUPPRESS)
    args = cli.parse_args(argv)
    if args.leg:
        values = planted_hashes(args.n, args.d, seed=args.n + args.d)
        legs = {"data": leg_data, "ours": leg_ours, "faiss": leg_faiss}
        if args.leg == "brute":
            leg_answer(leg_brute(values, args.d, args.brute_limit))
        else:
            leg_answer(legs[args.leg](values, args.d))
        return
    command = " ".join(["python -m bench.dedupe", *(sys.argv[1:] if argv is None else argv)])
    report = Report("dedupe", "Near-duplicate search: exifq beside faiss and brute force", command)
    start(report)
    report.section(
        "Cold: each side in its own process, all pairs within d",
        "n random 64-bit hashes + 1 % planted near-copies. Times include building each"
        " side's index, not generating the data or starting Python. faiss:"
        f" `IndexBinaryMultiHash` nhash={FAISS_NHASH}, b={FAISS_BITS}, nflip=⌈(d+1)/3⌉−1,"
        " one OpenMP thread (exifq uses one core). Wall and CPU (process) time: on a shared machine"
        " the CPU ratio is the steadier one. Brute force: numpy `bitwise_count` of XORs;"
        " * = timed on sampled rows against all n, extrapolated from that measured cost per pair"
        " (not run whole). Peak memory: VmHWM of each process (exifq / faiss / brute force);"
        " the last column is a process that only generated the data.",
    )
    rows = [
        measure(n, d, args.brute_limit, args.faiss_limit)
        for n in map(int, args.sizes.split(","))
        for d in map(int, args.distances.split(","))
    ]
    report.table(
        [
            "hashes",
            "d",
            "pairs",
            "exifq index: wall / CPU",
            "exifq find_duplicates",
            "faiss: wall / CPU",
            "brute force: wall / CPU",
            "faiss / exifq: wall / CPU",
            "brute / exifq",
            "peak exifq / faiss / brute",
            "data only",
        ],
        rows,
        "Pair sets equal across exifq, faiss and every whole brute-force run (checked).",
    )
    warm_small(report, args.repeat)
    report.finish(args.write_docs)


if __name__ == "__main__":
    main()
