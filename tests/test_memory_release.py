"""Freed heap pages go back to the OS after a document (reader processes, extraction.memory)."""

from __future__ import annotations

import sys

import pytest

from extraction.memory import release_freed_memory
from extraction.memory import resident_mb


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim and /proc are Linux")
def test_freed_heap_pages_are_returned() -> None:
    if not release_freed_memory():
        pytest.skip("not glibc")
    chunks = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MB on the heap (below the mmap threshold)
    for chunk in chunks:
        chunk[::4096] = b"x" * len(chunk[::4096])  # touch every page
    pin = bytearray(64 * 1024)  # keeps the heap's top in use, so free() alone cannot shrink it
    del chunks
    before = resident_mb()
    assert release_freed_memory()
    after = resident_mb()
    assert before is not None and after is not None
    assert before - after > 100, (before, after)
    del pin
