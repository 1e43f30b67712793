"""Fetch ahead: hand items to a slow consumer in input order while later ones download.

The one implementation for every job, with or without URL documents: with one worker it
fetches each item in the caller's thread just before handing it over (no thread, nothing
held ahead, what base64-only jobs want); with more, downloads overlap the consumer's work
(OCR, extraction) inside a bounded window.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar

T = TypeVar("T")


def prefetch(items: Iterable[T], fetch: Callable[[T], Any], workers: int) -> Iterator[tuple[T, Any, Optional[BaseException]]]:
    """Yield ``(item, result, error)`` in input order, fetching up to ``workers`` items ahead.

    A failed fetch is handed to the consumer as ``error`` (``result`` is None), which decides
    what it means. At most ``workers`` fetched-but-unconsumed results exist at once, which
    bounds memory to about ``workers`` documents while the consumer is busy.
    """
    if workers <= 1:
        yield from _one_at_a_time(items, fetch)
    else:
        yield from _ahead(items, fetch, workers)


def _one_at_a_time(items: Iterable[T], fetch: Callable[[T], Any]) -> Iterator[tuple[T, Any, Optional[BaseException]]]:
    for item in items:
        try:
            result, error = fetch(item), None
        except Exception as exc:  # handed to the consumer; KeyboardInterrupt still stops the job
            result, error = None, exc
        yield item, result, error


def _ahead(items: Iterable[T], fetch: Callable[[T], Any], workers: int) -> Iterator[tuple[T, Any, Optional[BaseException]]]:
    iterator = iter(items)
    window: deque[tuple[T, Future]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prefetch")
    try:
        for item in iterator:
            window.append((item, pool.submit(fetch, item)))
            if len(window) >= workers:
                break
        while window:
            item, future = window.popleft()
            try:
                result, error = future.result(), None
            except BaseException as exc:  # raised in a download thread: handed to the consumer, which decides
                result, error = None, exc
            nxt = next(iterator, _END)
            if nxt is not _END:
                window.append((nxt, pool.submit(fetch, nxt)))
            yield item, result, error
    finally:
        # If the consumer stops early (job failed, generator closed), do not wait for
        # downloads still running: they end on their own timeouts.
        pool.shutdown(wait=False, cancel_futures=True)


_END: Any = object()
