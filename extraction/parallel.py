"""One function over many inputs in a pool of processes, each process set up once.

Why one place: the evaluation harness and the ``extract`` command both spread documents over
processes in which the pipeline is built once per process (engines load at its start, as in
the serverless worker), and both must split the machine's cores between the processes'
OCR engines (``cores / processes`` threads each) instead of letting every engine take them all.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterator, Optional, Sequence

#: Environment variables that size an engine's thread pool; set in each process before it builds one.
THREAD_VARIABLES = ("RAPIDOCR_THREADS", "OMP_NUM_THREADS")


def threads_per_process(processes: int) -> int:
    """The share of the machine's cores one of ``processes`` processes should use."""
    return max(1, (os.cpu_count() or 1) // max(1, processes))


def limit_threads(threads: Optional[int]) -> None:
    """Process initializer: cap the engines' threads unless the user chose a number already."""
    if threads is not None:
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, str(threads))


def run_in_processes(job: Callable[..., Any], calls: Sequence[tuple[Any, ...]], processes: int) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, job(*calls[position]))`` as each call finishes.

    ``processes == 1`` runs in this process, in order (simplest to debug, and no second copy
    of the engines). Otherwise a pool of ``fork``-started processes (where the platform has
    it, so module state such as test doubles is inherited), each with its share of the cores.
    An exception raised by a call is re-raised here.
    """
    if processes <= 1 or len(calls) <= 1:
        for position, args in enumerate(calls):
            yield position, job(*args)
        return
    processes = min(processes, len(calls))
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    threads = threads_per_process(processes)
    with ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=limit_threads, initargs=(threads,)) as pool:
        futures = {pool.submit(job, *args): position for position, args in enumerate(calls)}
        for future in as_completed(futures):
            yield futures[future], future.result()
