"""Faces: precision, recall and time, ours beside OpenCV's Haar cascade: ``python -m bench.faces``.

1. Precision and recall on the labelled set of ``tests/support/faceset.py`` (synthetic
   scenes of Labeled-Faces-in-the-Wild crops, hand-labelled photographs, negatives) at
   several confidence thresholds, for ours (``worker.media.faces``: libfacedetection on the
   reduced, upright copy) and for OpenCV's ``haarcascade_frontalface_alt2`` on the same
   copy (``detectMultiScale``, scale 1.1, 5 neighbours). A match is IoU ≥ 0.4.
2. Milliseconds per 12-megapixel JPEG (4000 × 3000, the astronaut photo scaled up):
   reduced decode, detection, and both, as CPU time of this process (the machine is
   shared; CPU time is what the job costs) and wall time; medians of the runs.

The process is pinned to one CPU. Needs the test extras (scikit-image, OpenCV).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

import cv2
import numpy as np
from PIL import Image

from tests.support import faceset
from worker.media import faces
from worker.media.reduced import reduced_decode

THRESHOLDS = (0.5, 0.6, 0.7, 0.8)


def _reduced(image: Image.Image) -> Image.Image:
    copy = image.convert("RGB")
    copy.thumbnail((faces.DETECT_SIDE, faces.DETECT_SIDE), Image.Resampling.BOX)
    return copy


def ours(image: Image.Image, threshold: float) -> list[list[int]]:
    return faces.detect_faces(_reduced(image), *image.size, threshold=threshold).boxes


_HAAR = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")


def haar(image: Image.Image) -> list[list[int]]:
    copy = _reduced(image)
    grey = cv2.cvtColor(np.asarray(copy), cv2.COLOR_RGB2GRAY)
    found = _HAAR.detectMultiScale(grey, 1.1, 5)
    sx, sy = image.width / copy.width, image.height / copy.height
    return [[round(x * sx), round(y * sy), round(w * sx), round(h * sy)] for x, y, w, h in found]


def accuracy(sets: dict[str, list[faceset.Labelled]]) -> None:
    print(f"{'set':10s} {'detector':14s} {'faces':>5s} {'precision':>9s} {'recall':>7s} {'FP':>4s}")
    for set_name, items in sets.items():
        n = sum(len(item.faces) for item in items)
        for threshold in THRESHOLDS:
            tally = faceset.Score()
            for item in items:
                faceset.score(item, ours(item.image, threshold), tally)
            label = f"ours@{threshold:g}"
            print(f"{set_name:10s} {label:14s} {n:5d} {tally.precision:9.3f} {tally.recall:7.3f}"
                  f" {tally.false:4d}")  # fmt: skip
        tally = faceset.Score()
        for item in items:
            faceset.score(item, haar(item.image), tally)
        print(f"{set_name:10s} {'opencv-haar':14s} {n:5d} {tally.precision:9.3f}"
              f" {tally.recall:7.3f} {tally.false:4d}")  # fmt: skip


def _twelve_megapixels() -> bytes:
    import skimage.data

    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((4000, 3000)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _timed(action) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def speed(runs: int) -> None:
    data = _twelve_megapixels()
    reduced_decode(data)  # warm: imports, the detector's first call
    decode, detect, both_wall, haar_cpu = [], [], [], []
    for _ in range(runs):
        box: list = []
        cpu, wall = _timed(lambda box=box: box.append(reduced_decode(data)))
        decode.append(cpu)
        r = box[0]
        cpu2, wall2 = _timed(lambda r=r: faces.detect_faces(r.image, r.width, r.height))
        detect.append(cpu2)
        both_wall.append(wall + wall2)
        image = r.image
        haar_cpu.append(_timed(lambda image=image: haar(image))[0])
    med = statistics.median
    total = med([a + b for a, b in zip(decode, detect, strict=True)])
    print(f"12 MP JPEG, {runs} runs, medians: reduced decode {med(decode):.1f} ms CPU, "
          f"detection {med(detect):.1f} ms CPU, both {total:.1f} ms CPU "
          f"({med(both_wall):.1f} ms wall); OpenCV Haar on the same copy {med(haar_cpu):.1f} ms "
          f"CPU (ratio {med(haar_cpu) / med(detect):.1f}x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    accuracy({
        "scenes": faceset.scenes(),
        "photos": faceset.photos(),
        "negatives": faceset.negatives(),
    })  # fmt: skip
    speed(args.runs)


if __name__ == "__main__":
    main()
