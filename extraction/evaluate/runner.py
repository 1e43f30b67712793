"""Running the real pipeline over a dataset, in parallel worker processes.

Each worker builds its own :class:`~extraction.pipeline.Pipeline` once (engines load at
start-up, as in the serverless worker) and then runs documents through the same entry points
the handler uses: ``extract_bytes`` for files, or ``extract_text`` with the dataset's own OCR
boxes (``ocr_source="dataset"``) so that OCR errors and extraction errors can be told apart.
Workers return small plain records; scoring happens in the parent.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional

from extraction.evaluate.manifest import Dataset, ManifestEntry, ManifestError, boxes_to_document, read_ocr_boxes
from extraction.layout import DocumentText
from extraction.parallel import run_in_processes

OcrSource = Literal["engine", "dataset"]
PipelineFactory = Callable[[], Any]
Record = dict[str, Any]

_PIPELINE: Any = None
_PIPELINE_KEY: Any = None  # (factory, ocr_cache) the pipeline was built from


class PipelineBuildError(RuntimeError):
    """The engines could not be built (unknown name, missing weights): nothing can be scored."""

_DESCRIBED = False


def build_pipeline(ocr: Optional[str] = None, extractor: Optional[str] = None) -> Any:
    """The handler's pipeline (imported here so that reading manifests never loads engines)."""
    from extraction.pipeline import Pipeline

    return Pipeline.from_env(ocr=ocr, extractor=extractor)


def default_workers(ocr: Optional[str], extractor: Optional[str]) -> int:
    """All cores on CPU; one process when an engine runs on the GPU (each worker would load its own model)."""
    try:
        from extraction.engines import EXTRACTORS, OCR_ENGINES, resolve

        specs = [OCR_ENGINES[resolve("OCR", ocr, OCR_ENGINES, "OCR_ENGINE")], EXTRACTORS[resolve("extractor", extractor, EXTRACTORS, "EXTRACTOR")]]
    except Exception:  # unknown names are reported when the pipeline is built
        return os.cpu_count() or 1
    return 1 if any(spec.gpu for spec in specs) else os.cpu_count() or 1


def check_runnable(dataset: Dataset, ocr_source: OcrSource) -> None:
    """Fail before starting workers when a document cannot be run in the chosen mode."""
    manifest = dataset.root / "manifest.jsonl"
    for entry in dataset.entries:
        if ocr_source == "dataset" and entry.ocr_boxes is None:
            raise ManifestError(manifest, entry.line, f"document {entry.id!r} has no \"ocr_boxes\"; run it with --ocr-source engine")
        if ocr_source == "engine" and entry.file is None:
            raise ManifestError(manifest, entry.line, f"document {entry.id!r} has no \"file\"; run this dataset with --ocr-source dataset")


def factory_key(factory: Any) -> Any:
    """What identifies a pipeline factory across processes.

    A worker process receives the factory anew (unpickled) with every document, and
    ``functools.partial`` objects compare by identity: keyed by the object itself, each
    document would build the whole pipeline again (engines, models, compiled shapes), which
    cost the harness a third more CPU per document with two workers than with one. A partial is
    keyed by its function and arguments instead; functions and classes unpickle to themselves.
    """
    if isinstance(factory, functools.partial):
        return ("partial", factory_key(factory.func), tuple(factory_key(a) for a in factory.args), tuple(sorted((k, factory_key(v)) for k, v in factory.keywords.items())))
    return factory


def _pipeline(factory: PipelineFactory, ocr_cache: Optional[str]) -> Any:
    global _PIPELINE, _PIPELINE_KEY, _DESCRIBED
    key = (factory_key(factory), ocr_cache)
    if _PIPELINE is None or _PIPELINE_KEY != key:
        _PIPELINE = None
        _DESCRIBED = False
        try:
            pipeline = factory()
        except Exception as exc:
            raise PipelineBuildError(f"could not build the pipeline: {type(exc).__name__}: {exc}") from None
        if ocr_cache and getattr(pipeline, "ocr", None) is not None:
            from extraction.evaluate.ocrcache import CachedOcr

            pipeline.ocr = CachedOcr(pipeline.ocr, Path(ocr_cache))
        _PIPELINE, _PIPELINE_KEY = pipeline, key
    return _PIPELINE


def engine_names(pipeline: Any, ocr_source: OcrSource) -> dict[str, str]:
    """Short engine names for run keys; dataset boxes replace the OCR engine."""
    ocr = "dataset-ocr" if ocr_source == "dataset" else str(getattr(getattr(pipeline, "ocr", None), "name", "ocr"))
    return {"ocr": ocr, "extractor": str(getattr(getattr(pipeline, "extractor", None), "name", "extractor"))}


def _lines_of(text: DocumentText) -> list[list[Any]]:
    return [[page, *map(float, line.bbox), line.text] for page, line in text.lines]


def _lines_of_result(result: Any) -> Optional[list[list[Any]]]:
    pages = getattr(result, "ocr", None)
    if not pages:
        return None
    return [[page.number, *page_line.bbox[:4], page_line.text] for page in pages for page_line in page.lines]


def run_document(
    factory: PipelineFactory,
    ocr_source: OcrSource,
    want_lines: bool,
    ocr_cache: Optional[str],
    index: int,
    entry: ManifestEntry,
) -> Record:
    """Run one document in this process's pipeline and reduce the result to a plain record."""
    global _DESCRIBED
    pipeline = _pipeline(factory, ocr_cache)
    hits_before = getattr(pipeline.ocr, "hits", 0) if ocr_cache else 0
    record: Record = {"index": index, "id": entry.id, "pid": os.getpid(), "engines": engine_names(pipeline, ocr_source)}
    if not _DESCRIBED:
        describe = getattr(pipeline, "describe", None)
        record["pipeline"] = describe() if callable(describe) else {}
        _DESCRIBED = True
    record["started_at"] = time.time()
    started = time.perf_counter()
    cpu_started = time.process_time()
    lines: Optional[list[list[Any]]] = None
    try:
        if ocr_source == "dataset":
            assert entry.ocr_boxes is not None
            text = boxes_to_document(read_ocr_boxes(entry.ocr_boxes), entry.file)
            result = pipeline.extract_text(entry.id, text)
            lines = _lines_of(text) if want_lines else None
        else:
            assert entry.file is not None
            data = entry.file.read_bytes()
            options = None
            if want_lines:
                from extraction.schema import Options

                options = Options(return_ocr=True)  # type: ignore[call-arg]  # the rest are defaults
            result = pipeline.extract_bytes(data, entry.id, fields=None, options=options)
            lines = _lines_of_result(result) if want_lines else None
    except Exception as exc:  # a broken document must not stop the run
        record.update(status="error", error={"code": "evaluation_error", "message": f"{type(exc).__name__}: {exc}"})
        record.update(fields={}, line_items=[], timings_ms={}, wall_ms=(time.perf_counter() - started) * 1000.0, lines=None)
        record["finished_at"] = time.time()
        return record
    record["wall_ms"] = (time.perf_counter() - started) * 1000.0
    record["cpu_ms"] = (time.process_time() - cpu_started) * 1000.0
    record["status"] = result.status
    record["error"] = result.error.model_dump() if result.error is not None else None
    record["fields"] = {
        name: {"value": f.value, "text": f.text, "confidence": f.confidence, "page": f.page, "bbox": f.bbox}
        for name, f in result.fields.items()
        if f is not None
    }
    record["line_items"] = [
        {k: getattr(item, k) for k in ("description", "quantity", "unit_price", "amount", "confidence")} for item in result.line_items
    ]
    record["timings_ms"] = dict(result.timings_ms)
    record["warnings"] = list(result.warnings)
    record["lines"] = lines
    record["ocr_cache_hit"] = bool(ocr_cache) and getattr(pipeline.ocr, "hits", 0) > hits_before
    record["finished_at"] = time.time()
    return record


def run_datasets(
    datasets: list[Dataset],
    factory: PipelineFactory,
    *,
    ocr_source: OcrSource = "engine",
    workers: Optional[int] = None,
    want_lines: bool = False,
    progress: bool = True,
    ocr_cache: Optional[str] = None,
) -> list[tuple[list[Record], float]]:
    """Run every entry of every dataset through one pool (engines load once per worker).

    Returns, per dataset, its records in manifest order and the wall-clock seconds from its
    first document starting to its last one finishing.
    """
    for dataset in datasets:
        check_runnable(dataset, ocr_source)
    tasks = [(d, i, entry) for d, dataset in enumerate(datasets) for i, entry in enumerate(dataset.entries)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    job = functools.partial(run_document, factory, ocr_source, want_lines, ocr_cache)
    records: list[list[Record]] = [[] for _ in datasets]
    bar = _progress_bar(len(tasks), ", ".join(d.name for d in datasets), progress)
    try:
        for d, record in _execute(job, tasks, workers):
            records[d].append(record)
            bar.update(1)
    finally:
        bar.close()
    out = []
    for d in range(len(datasets)):
        records[d].sort(key=lambda r: r["index"])
        spans = [(r["started_at"], r["finished_at"]) for r in records[d]]
        out.append((records[d], max(e for _, e in spans) - min(s for s, _ in spans) if spans else 0.0))
    return out


def _execute(
    job: Callable[[int, ManifestEntry], Record],
    tasks: list[tuple[int, int, ManifestEntry]],
    workers: int,
) -> Iterator[tuple[int, Record]]:
    for position, record in run_in_processes(job, [(index, entry) for _, index, entry in tasks], workers):
        yield tasks[position][0], record


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, name: str, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="doc", file=sys.stderr, dynamic_ncols=True)
