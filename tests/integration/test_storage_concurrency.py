"""Every local storage operation is safe to run at the same time as any other, in threads and
processes: puts into directories that deletes keep pruning, reads and deletes, hammered."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

from common.storage import ObjectNotFound
from common.storage.local import LocalStorage

PROCESSES, THREADS, SECONDS = 4, 4, 3.0
DIRECTORIES = 3  # few: every directory is emptied and re-created over and over


def _hammer(root: str, worker: str, stop_at: float, errors: list[str], counts: list[int]) -> None:
    storage = LocalStorage(Path(root))
    done = 0
    while time.time() < stop_at:
        data = f"{worker}-{done}".encode() * 10
        key = f"cleaned/d{done % DIRECTORIES}/{worker}-{done}.jpg"
        upload = f"uploads/{worker}-{done}"
        try:
            storage.put(key, data)
            storage.put(upload, data)
            assert storage.get(key) == data and storage.exists(upload)
            storage.delete(upload)
            storage.delete(key)
            assert not storage.exists(key)
            try:
                storage.get(key)
                raise AssertionError(f"{key} is still readable")
            except ObjectNotFound:
                pass
        except Exception as exc:  # every failure is reported, whatever its kind
            errors.append(f"{type(exc).__name__}: {exc}")
        done += 1
    counts.append(done)


def _process(root: str, index: int, stop_at: float, queue) -> None:
    errors: list[str] = []
    counts: list[int] = []
    threads = [
        threading.Thread(target=_hammer, args=(root, f"p{index}t{t}", stop_at, errors, counts))
        for t in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((sum(counts), errors[:20], len(errors)))


def test_puts_reads_and_deletes_race_without_an_error(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.ensure_ready()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    stop_at = time.time() + SECONDS
    processes = [
        context.Process(target=_process, args=(str(tmp_path), index, stop_at, queue))
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
    operations = sum(done for done, _, _ in results)
    errors = [error for _, sample, _ in results for error in sample]
    assert operations > 200, operations  # it really ran concurrently for a while
    assert not errors, f"{sum(n for _, _, n in results)} errors in {operations} rounds: {errors}"
    # Nothing is left behind: no object, no temporary file, no pruned directory missing.
    left = [Path(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    assert left == []
