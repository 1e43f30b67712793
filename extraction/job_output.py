"""What a job hands back besides the fields: results written to ``output.url``, the cap on the
text read per document (and the warning that says where it was cut), and the ``return_ocr`` block.

Kept apart from :mod:`extraction.pipeline` so that the pipeline module holds only the stages
(load, read, extract, check) and their order.
"""

from __future__ import annotations

from typing import Any, Optional

from extraction.errors import DocumentError, ErrorCode, JobInputError
from extraction.layout import DocumentText, PageText, round_box
from extraction.schema import DocumentResult, JobInput, OcrLine, OcrPage, OcrWord
from extraction.sources import SourceContext


def open_output(parsed: JobInput, job: Optional[dict[str, Any]], context: SourceContext) -> Any:
    """A writer for ``output.url`` (results go to S3, the job returns the manifest), or None."""
    if parsed.output is None:
        return None
    from extraction.remote import settings_for
    from extraction.remote.output import ResultWriter

    try:
        return ResultWriter(parsed.output.url, s3_config=context.s3_config, job_id=(job or {}).get("id"), settings=settings_for(context))
    except DocumentError as exc:
        raise JobInputError(exc.code, exc.message) from None


def write_result(writer: Any, result: DocumentResult) -> None:
    """Write one result; if the very first write fails the output is unusable and the job stops."""
    entry = writer.write(result.model_dump(mode="json"))
    if not entry.get("written") and not any(e.get("written") for e in writer.entries):
        error = entry.get("output_error") or {}
        raise JobInputError(ErrorCode.OUTPUT_FAILED, error.get("message", "cannot write to the output location"))


def cap_text(pages: list[PageText], max_chars: int, warnings: list[str]) -> list[PageText]:
    """Keep the document's text under ``max_chars`` (extractor cost grows with it): lines past
    the cap are dropped, in reading order, with a warning naming the page where it was cut."""
    total = 0
    for page_index, page in enumerate(pages):
        for line_index, line in enumerate(page.lines):
            total += len(line.text)
            if total > max_chars:
                warnings.append(
                    f"text truncated at {max_chars} characters (page {page.number}); later text was not read (MAX_TEXT_CHARS)"
                )
                page.lines = page.lines[:line_index]
                return pages[: page_index + 1]
    return pages



def ocr_pages(text: DocumentText) -> list[OcrPage]:
    return [
        OcrPage(
            number=page.number,
            width=page.width,
            height=page.height,
            source=page.source,
            lines=[
                OcrLine(
                    text=line.text,
                    bbox=round_box(line.bbox),
                    confidence=round(line.confidence, 4),
                    words=[OcrWord(text=w.text, bbox=round_box(w.bbox), confidence=round(w.confidence, 4)) for w in line.words],
                )
                for line in page.lines
            ],
        )
        for page in text.pages
    ]
