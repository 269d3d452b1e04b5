"""Hash benchmarks, ours beside the reference tools in the same run: ``python -m bench.hash``.

1. pHash from file bytes on 12-megapixel photo-like JPEGs: imagehash (Pillow
   decode + ``imagehash.phash``) vs ours exact vs ours fast (reduced decode);
   the fast route's differing bits against exact, for every imagehash-style hash.
2. All four imagehash-style hashes of one file: imagehash (four calls on one
   decoded image) vs ours (one decode, one grey conversion), time and memory.
3. BlockMeanHash mode 1: OpenCV ``img_hash`` vs ours, on decoded pixels and
   from file bytes.
4. ``find_duplicates`` on 10^4, 10^5, 10^6 random 64-bit hashes with 1 %
   planted near-duplicates at max_distance 4 and 8: time and peak memory of
   the index beside vectorised brute force where brute force is feasible
   (otherwise its time extrapolated from the measured cost per pair).

Timings interleave ours and the reference and report medians; the machine may
be shared, so read the ratios. The process is pinned to one CPU. Needs the
test extras (imagehash, opencv-contrib-python-headless).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import cv2
import imagehash
import numpy as np
from PIL import Image

from worker.media import hamming_index, hashes
from worker.media.decode import load_pixels, open_image
from worker.media.hamming_index import brute_force_pairs, near_pairs
from worker.media.similarity import find_duplicates

CORPUS = os.environ.get("EXIFQ_CORPUS", "/work/shared/corpus")
# The corpus's larger real photographs, upscaled to 12 MP as stand-ins for camera files.
PHOTO_SOURCES = [
    "exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif",
    "exif-samples/heic/mobile/iphone_13_pro_max.HEIC",
    "exif-samples/heic/IMG_5195.HEIC",
    "exif-samples/jpg/hdr/iphone_hdr_YES.jpg",
    "exif-samples/jpg/hdr/canon_hdr_YES.jpg",
    "exif-samples/jpg/tests/30-type_error.jpg",
    "exif-samples/jpg/tests/33-type_error.jpg",
    "exif-samples/jpg/tests/87_OSError.jpg",
    "exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg",
    "exif-samples/jpg/orientation/landscape_1.jpg",
]
GREY = ("phash", "dhash", "ahash", "whash")


def photo_jpegs(count: int, size: tuple[int, int] = (4000, 3000)) -> list[bytes]:
    """12 MP JPEGs (quality 90): corpus photos upscaled with LANCZOS plus sensor-like noise."""
    rng = np.random.default_rng(0)
    photos = []
    for source in PHOTO_SOURCES[:count]:
        with open(os.path.join(CORPUS, source), "rb") as file:
            image, _ = open_image(file.read())
        load_pixels(image)
        large = np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))
        noisy = np.clip(large + rng.normal(0, 3, (*large.shape[:2], 1)), 0, 255)
        out = io.BytesIO()
        Image.fromarray(noisy.astype(np.uint8)).save(out, "JPEG", quality=90)
        photos.append(out.getvalue())
    return photos


# ---- the reference tools ------------------------------------------------------------------


def imagehash_phash(data: bytes) -> str:
    return str(imagehash.phash(open_image(data)[0]))


def imagehash_four(data: bytes) -> list[str]:
    image = open_image(data)[0]
    return [
        str(imagehash.phash(image)),
        str(imagehash.dhash(image)),
        str(imagehash.average_hash(image)),
        str(imagehash.whash(image)),
    ]


def opencv_bmh1_from_bytes(data: bytes) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.img_hash.BlockMeanHash_create(1).compute(pixels)


# ---- measuring ----------------------------------------------------------------------------


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measured(function: Callable[[], object]) -> tuple[float, float, object]:
    """Seconds, peak MB (tracemalloc: Python and numpy allocations) and result of one call."""
    tracemalloc.start()
    seconds, result = timed(function)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, result


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each callable, run in turn ``repeat`` times (so load hits all alike)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(timed(run)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def bits_apart(a: str, b: str) -> int:
    if len(a) == 16:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    return sum(x != y for x, y in zip(a, b, strict=True))


def summary(off: list[int]) -> str:
    return (
        f"mean {np.mean(off):.2f} bits, max {max(off)},"
        f" identical {100 * np.mean(np.array(off) == 0):.0f} %"
    )


# ---- the benchmarks -----------------------------------------------------------------------


def bench_phash(photos: list[bytes], repeat: int) -> None:
    print(f"\n## pHash from bytes, {len(photos)} JPEGs of 4000x3000 (median of {repeat})")
    print("photo  imagehash     exact      fast  imagehash/exact  imagehash/fast  fast bits off")
    exact_ratios, fast_ratios, off = [], [], []
    for i, data in enumerate(photos):
        medians = interleaved(
            {
                "imagehash": partial(imagehash_phash, data),
                "exact": partial(hashes.compute_hashes, data, ["phash"]),
                "fast": partial(hashes.compute_hashes, data, ["phash"], fast=True),
            },
            repeat,
        )
        exact = hashes.compute_hashes(data, ["phash"])["phash"]
        assert exact == imagehash_phash(data), "exact pHash differs from imagehash"
        off.append(bits_apart(exact, hashes.compute_hashes(data, ["phash"], fast=True)["phash"]))
        exact_ratios.append(medians["imagehash"] / medians["exact"])
        fast_ratios.append(medians["imagehash"] / medians["fast"])
        print(
            f"{i:>5} {medians['imagehash'] * 1e3:>8.1f}ms {medians['exact'] * 1e3:>7.1f}ms"
            f" {medians['fast'] * 1e3:>7.1f}ms {exact_ratios[-1]:>15.2f}x"
            f" {fast_ratios[-1]:>14.2f}x {off[-1]:>14}"
        )
    print(
        f"median speed-up over imagehash: exact {statistics.median(exact_ratios):.2f}x,"
        f" fast {statistics.median(fast_ratios):.2f}x; fast vs exact pHash: {summary(off)}"
    )
    for name in GREY[1:]:
        off = [
            bits_apart(
                hashes.compute_hashes(data, [name])[name],
                hashes.compute_hashes(data, [name], fast=True)[name],
            )
            for data in photos
        ]
        print(f"fast vs exact {name}: {summary(off)}")


def bench_four_hashes(photos: list[bytes], repeat: int) -> None:
    print(f"\n## phash+dhash+ahash+whash from bytes (median of {repeat}; peak MB, tracemalloc)")
    for i, data in enumerate(photos[:3]):
        assert list(hashes.compute_hashes(data, GREY).values()) == imagehash_four(data)
        runs = {
            "imagehash": partial(imagehash_four, data),
            "ours": partial(hashes.compute_hashes, data, GREY),
        }
        medians = interleaved(runs, repeat)
        peaks = {name: measured(run)[1] for name, run in runs.items()}
        print(
            f"photo {i}: imagehash {medians['imagehash'] * 1e3:.0f} ms"
            f" ({peaks['imagehash']:.0f} MB), ours {medians['ours'] * 1e3:.0f} ms"
            f" ({peaks['ours']:.0f} MB): {medians['imagehash'] / medians['ours']:.2f}x faster"
        )


def bench_block_mean(photos: list[bytes], repeat: int) -> None:
    print(f"\n## BlockMeanHash mode 1 (median of {repeat})")
    hasher = cv2.img_hash.BlockMeanHash_create(1)
    for i, data in enumerate(photos[:3]):
        image = open_image(data)[0]
        load_pixels(image)
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[..., ::-1])
        expected = "".join(map(str, np.unpackbits(hasher.compute(bgr)[0], bitorder="little")))
        assert hashes.block_mean_hash(image, 1) == expected, "bmh1 differs from OpenCV"
        decoded = interleaved(
            {
                "opencv": partial(hasher.compute, bgr),
                "ours": partial(hashes.block_mean_hash, image),
            },
            repeat,
        )
        from_bytes = interleaved(
            {
                "opencv": partial(opencv_bmh1_from_bytes, data),
                "ours": partial(hashes.compute_hashes, data, ["bmh1"]),
            },
            repeat,
        )
        print(
            f"photo {i}: hash of decoded pixels OpenCV {decoded['opencv'] * 1e3:.1f} ms,"
            f" ours {decoded['ours'] * 1e3:.1f} ms; from bytes (each with its own JPEG decoder)"
            f" OpenCV {from_bytes['opencv'] * 1e3:.0f} ms, ours {from_bytes['ours'] * 1e3:.0f} ms"
            f" = {from_bytes['opencv'] / from_bytes['ours']:.2f}x OpenCV's speed"
        )


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


def bench_duplicates(sizes: list[int], brute_limit: int) -> None:
    hamming_index.MAX_CHECKS = 10**12  # the service's work budget would refuse brute force at 10^5
    print("\n## find_duplicates: random 64-bit hashes + 1 % planted near-duplicates, one core")
    print("        n  d  index s  index MB   pairs  clusters    brute s  brute MB  brute/index")
    per_pair = None
    for n in sizes:
        for max_distance in (4, 8):
            values = planted_hashes(n, max_distance, seed=n + max_distance)
            words = values.reshape(-1, 1)
            seconds, peak, clusters = measured(partial(find_duplicates, values, max_distance))
            pairs = near_pairs(words, 64, max_distance)
            if len(values) <= brute_limit:
                brute_s, brute_mb, brute = measured(partial(brute_force_pairs, words, max_distance))
                assert all(np.array_equal(a, b) for a, b in zip(pairs, brute, strict=True))
                per_pair = brute_s / (len(values) ** 2 / 2)
                brute = f"{brute_s:>10.2f} {brute_mb:>9.0f} {brute_s / seconds:>11.1f}x"
            elif per_pair is not None:
                estimate = per_pair * len(values) ** 2 / 2
                brute = (
                    f"{'~' + format(estimate, '.0f'):>10} {'-':>9} {estimate / seconds:>10.0f}x*"
                )
            else:
                brute = f"{'-':>10} {'-':>9} {'-':>12}"
            print(
                f"{n:>9} {max_distance:>2} {seconds:>8.2f} {peak:>9.0f} {len(pairs.first):>7}"
                f" {len(clusters):>9} {brute}"
            )
    print(
        "* brute force not run at this size: its time extrapolated from the measured cost per pair"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8, help="12 MP JPEGs to generate (≤ 10)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="find_duplicates sizes")
    parser.add_argument(
        "--brute-limit", type=int, default=200_000, help="largest n for brute force"
    )
    parser.add_argument("--skip-images", action="store_true", help="only find_duplicates")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if not args.skip_images:
        photos = photo_jpegs(args.photos)
        bench_phash(photos, args.repeat)
        bench_four_hashes(photos, max(3, args.repeat // 2))
        bench_block_mean(photos, args.repeat)
    bench_duplicates([int(n) for n in args.sizes.split(",")], args.brute_limit)


if __name__ == "__main__":
    main()
