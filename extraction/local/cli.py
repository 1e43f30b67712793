"""``extract``: the worker's pipeline on local files, without a server.

Exit status: 0 every document was extracted; 1 some document failed (its ``error.code`` is in
the output and on stderr); 2 bad arguments, nothing to read, or engines that cannot be built.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import IO, Any, Optional, Sequence

EXIT_OK, EXIT_DOCUMENT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extract",
        description="Extract receipt and invoice fields from local files with the worker's pipeline (no server).",
        epilog="One file prints its JSON; several print JSON Lines. Exit status 1 when a document failed, 2 on bad arguments.",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE|FOLDER|GLOB", help="documents; folders are walked, '-' reads standard input")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here instead of stdout: .json (job output), .jsonl or .csv")
    parser.add_argument("--format", choices=("json", "jsonl", "csv"), help="output format (default: from OUT's suffix)")
    parser.add_argument("--line-items", action="store_true", help="CSV: one row per line item (header fields repeated) instead of one per document")
    parser.add_argument("--fields", metavar="A,B", help="standard fields to extract, comma-separated (default: all)")
    parser.add_argument("--queries", metavar="JSON", help='custom questions as a JSON object, e.g. \'{"iban": "What is the IBAN?"}\'')
    parser.add_argument("--ocr", help="OCR engine (default: env OCR_ENGINE, else auto)")
    parser.add_argument("--extractor", help="extractor (default: env EXTRACTOR, else auto)")
    parser.add_argument("--workers", type=int, help="processes, each with its own engines (default: all cores on CPU, 1 with a GPU engine)")
    parser.add_argument("--overlay", type=Path, metavar="DIR", help="also write a PNG per page with the fields drawn on it")
    parser.add_argument("--pages", metavar="N,M", help="1-based pages to read (default: all)")
    parser.add_argument("--dpi", type=int, default=200, help="PDF rendering resolution (default 200)")
    parser.add_argument("--date-order", choices=("auto", "DMY", "MDY", "YMD"), default="auto", help="how to read dates such as 03/04/2024")
    parser.add_argument("--password", help="password of encrypted PDFs")
    parser.add_argument("--return-ocr", action="store_true", help="include the OCR words and lines with boxes")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the engines' start-up and timings")
    return parser


def _usage_error(message: str) -> int:
    print(f"extract: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _parse_request(args: argparse.Namespace) -> Any:
    """The per-document settings; raises ValueError with a message for the user."""
    from pydantic import ValidationError

    from extraction.local.api import make_request

    fields = [name.strip() for name in args.fields.split(",") if name.strip()] if args.fields else None
    queries = None
    if args.queries:
        try:
            queries = json.loads(args.queries)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--queries is not valid JSON: {exc.msg}") from None
    options: dict[str, Any] = {"dpi": args.dpi, "date_order": args.date_order, "return_ocr": args.return_ocr}
    if args.pages:
        try:
            options["pages"] = [int(p) for p in args.pages.split(",") if p.strip()]
        except ValueError:
            raise ValueError(f"--pages takes page numbers separated by commas, got {args.pages!r}") from None
    try:
        return make_request(fields, queries, options, args.password, args.overlay, args.ocr, args.extractor)
    except ValidationError as exc:
        from extraction.pipeline import describe_validation_error

        raise ValueError(describe_validation_error(exc)) from None


def _workers(args: argparse.Namespace, documents: int) -> int:
    if args.workers is not None:
        return min(args.workers, documents)
    if documents <= 1:
        return 1
    from extraction.evaluate.runner import default_workers

    return min(default_workers(args.ocr, args.extractor), documents)


def _check_engines(request: Any, workers: int) -> None:
    """Raise :class:`PipelineBuildError` for engines that cannot be had, before any document runs."""
    from extraction.local.api import PipelineBuildError, get_pipeline

    if workers == 1:
        get_pipeline(request.ocr, request.extractor)
        return
    from extraction.engines import EXTRACTORS, OCR_ENGINES, resolve

    try:
        resolve("OCR", request.ocr, OCR_ENGINES, "OCR_ENGINE")
        resolve("extractor", request.extractor, EXTRACTORS, "EXTRACTOR")
    except Exception as exc:
        raise PipelineBuildError(f"could not build the pipeline: {type(exc).__name__}: {exc}") from None


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    # disable=None: shown on a terminal only, so logs and pipes stay clean
    return tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True, disable=None if enabled and total > 1 else True)


def main(argv: Optional[Sequence[str]] = None, stdin: Optional[IO[bytes]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.workers is not None and args.workers < 1:
        return _usage_error("--workers must be at least 1")
    from extraction.local.api import PipelineBuildError, run_documents
    from extraction.local.inputs import collect
    from extraction.local.writers import format_for, open_writer

    try:
        request = _parse_request(args)
        documents = collect(args.inputs, stdin=stdin)
        if not documents:
            return _usage_error(f"no documents found in {' '.join(args.inputs)} (PDF, JPEG, PNG, TIFF, WebP, BMP, GIF)")
        fmt = format_for(args.output, args.format, len(documents))
    except (ValueError, FileNotFoundError, TypeError) as exc:
        return _usage_error(str(exc))

    workers = _workers(args, len(documents))
    try:  # before any output is opened: build the engines here, or check their names before the pool builds them
        _check_engines(request, workers)
    except PipelineBuildError as exc:
        return _usage_error(str(exc))
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        stream: IO[str] = args.output.open("w", encoding="utf-8", newline="" if fmt == "csv" else None)
    else:
        stream = sys.stdout
    writer = open_writer(fmt, stream, fields=request.fields, line_items=args.line_items)
    failed: list[Any] = []
    pending: dict[int, Any] = {}
    next_position = 0
    bar = _progress(len(documents), not args.no_progress)
    try:
        for position, result in run_documents(documents, request, workers=workers):
            bar.update(1)
            pending[position] = result
            while next_position in pending:  # results leave in input order
                done = pending.pop(next_position)
                writer.write(done)
                failed += [done] if done.status != "ok" else []
                next_position += 1
        writer.close()
    except PipelineBuildError as exc:  # raised in a pool process
        return _usage_error(str(exc))
    finally:
        bar.close()
        if stream is not sys.stdout:
            stream.close()
    for result in failed:
        assert result.error is not None
        print(f"extract: {result.id}: {result.error.code}: {result.error.message}", file=sys.stderr)
    if len(documents) > 1 or args.output is not None:
        where = f" -> {args.output}" if args.output is not None else ""
        print(f"extract: {len(documents)} document(s), {len(documents) - len(failed)} ok, {len(failed)} failed{where}", file=sys.stderr)
    if args.overlay is not None:
        print(f"extract: overlays in {args.overlay}", file=sys.stderr)
    return EXIT_DOCUMENT_FAILED if failed else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
