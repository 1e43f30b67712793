"""Fetching ahead: input order kept, bounded window, errors handed over, nothing awaited on early stop."""

from __future__ import annotations

import threading
import time

from extraction.prefetch import prefetch


def test_prefetch_keeps_order_and_bounds_concurrency():
    in_flight, peak, lock = 0, 0, threading.Lock()

    def fetch(i: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.1 if i % 2 else 0.02)
        with lock:
            in_flight -= 1
        if i == 5:
            raise ValueError("five")
        return i * 10

    started = time.monotonic()
    out = list(prefetch(range(12), fetch, workers=4))
    elapsed = time.monotonic() - started
    assert [item for item, _, _ in out] == list(range(12))
    assert [r for i, r, e in out if i != 5] == [i * 10 for i in range(12) if i != 5]
    assert isinstance(out[5][2], ValueError)
    assert 2 <= peak <= 4
    assert elapsed < 12 * 0.06  # sequential would take ~0.72 s


def test_prefetch_does_not_wait_for_pending_downloads_when_the_consumer_stops():
    release = threading.Event()

    def fetch(i: int) -> int:
        if i > 0:
            release.wait(5)
        return i

    started = time.monotonic()
    generator = prefetch(range(4), fetch, workers=3)
    assert next(generator)[0] == 0
    generator.close()  # e.g. the job failed on the first document
    assert time.monotonic() - started < 1.0
    release.set()


def test_one_worker_fetches_each_item_only_when_the_consumer_asks():
    fetched: list[int] = []
    threads: set[threading.Thread] = set()

    def fetch(i: int) -> int:
        fetched.append(i)
        threads.add(threading.current_thread())
        if i == 1:
            raise ValueError("one")
        return i * 10

    generator = prefetch(range(3), fetch, workers=1)
    assert next(generator) == (0, 0, None)
    assert fetched == [0]  # nothing downloaded ahead
    item, result, error = next(generator)
    assert (item, result, isinstance(error, ValueError)) == (1, None, True)
    assert next(generator) == (2, 20, None)
    assert fetched == [0, 1, 2]
    assert threads == {threading.current_thread()}  # no download thread for a sequential job
