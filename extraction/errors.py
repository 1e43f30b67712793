"""The error taxonomy: every stage raises :class:`DocumentError` with one of these codes.

One place so that the README table, the output schema and the code cannot drift apart.
A document that fails carries ``{"code": ..., "message": ...}`` in its result slot; the
other documents of the job are unaffected.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional


class ErrorCode(str, Enum):
    """Stable, machine-readable error codes (values are part of the public API)."""

    INVALID_INPUT = "invalid_input"
    INVALID_BASE64 = "invalid_base64"
    EMPTY_DOCUMENT = "empty_document"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT_DOCUMENT = "corrupt_document"
    ENCRYPTED_PDF = "encrypted_pdf"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_MANY_DOCUMENTS = "too_many_documents"
    TIMEOUT = "timeout"
    NOT_FOUND = "not_found"
    ACCESS_DENIED = "access_denied"
    FETCH_FAILED = "fetch_failed"
    FETCH_TIMEOUT = "fetch_timeout"
    URL_NOT_ALLOWED = "url_not_allowed"
    OCR_FAILED = "ocr_failed"
    EXTRACTION_FAILED = "extraction_failed"
    OUTPUT_FAILED = "output_failed"
    WORKER_FAILED = "worker_failed"
    INTERNAL_ERROR = "internal_error"


#: What each code means and what the caller should do about it (rendered in the README).
ERROR_HELP: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.INVALID_INPUT: ("The job input does not match the input schema.", "Fix the field named in the message; see schemas/job_input.schema.json."),
    ErrorCode.INVALID_BASE64: ("The `base64` value is not valid base64 (or data: URL).", "Send the raw file bytes base64-encoded, without line breaks inside a data: URL header."),
    ErrorCode.EMPTY_DOCUMENT: ("The document has no bytes.", "Send a non-empty file."),
    ErrorCode.UNSUPPORTED_FORMAT: ("The bytes are not JPEG, PNG, TIFF, WebP, BMP, GIF, HEIC/HEIF, AVIF or PDF.", "Convert the document to one of the supported formats."),
    ErrorCode.CORRUPT_DOCUMENT: ("The file is recognised but cannot be decoded (truncated or damaged).", "Re-export or re-scan the document."),
    ErrorCode.ENCRYPTED_PDF: ("The PDF is encrypted and no (or a wrong) password was given.", "Pass the password in the document's `password` field, or send an unencrypted copy."),
    ErrorCode.TOO_LARGE: ("The document (or the job) is over the byte limit.", "Send smaller files, split the job, or raise MAX_DOCUMENT_BYTES / MAX_JOB_BYTES."),
    ErrorCode.TOO_MANY_PAGES: ("The document has more pages than allowed.", "Use `options.pages` to pick pages, or raise MAX_PAGES."),
    ErrorCode.TOO_MANY_PIXELS: ("A page image is larger than the pixel limit.", "Downscale the image, or raise MAX_PAGE_PIXELS."),
    ErrorCode.TOO_MANY_DOCUMENTS: ("The job has more documents than allowed.", "Split the job, or raise MAX_DOCUMENTS_PER_JOB."),
    ErrorCode.TIMEOUT: ("The document took longer than its time budget.", "Retry, send fewer pages, or raise DOCUMENT_TIMEOUT_S."),
    ErrorCode.NOT_FOUND: ("The URL or S3 object does not exist.", "Check the bucket, key or URL."),
    ErrorCode.ACCESS_DENIED: ("The storage refused the credentials.", "Check s3Config / AWS credentials or the presigned URL's expiry."),
    ErrorCode.FETCH_FAILED: ("Downloading the document failed.", "Retry later; check that the URL is reachable from the worker."),
    ErrorCode.FETCH_TIMEOUT: ("Downloading the document timed out.", "Retry, or raise FETCH_READ_TIMEOUT_S."),
    ErrorCode.URL_NOT_ALLOWED: ("The URL scheme or address is not allowed (e.g. a private address).", "Use https:// or s3:// to a public host, or set ALLOW_PRIVATE_URLS=true for trusted networks."),
    ErrorCode.OCR_FAILED: ("The OCR engine failed on this document.", "Retry; if it persists, report the document."),
    ErrorCode.EXTRACTION_FAILED: ("The extractor failed on this document.", "Retry; if it persists, report the document."),
    ErrorCode.OUTPUT_FAILED: ("Writing the result to the output location failed.", "Check the output bucket and credentials."),
    ErrorCode.WORKER_FAILED: (
        "The worker hit a fault that leaves it unable to go on (e.g. a GPU error) before this document was done; it is being replaced.",
        "Retry the document; the job's other results stand.",
    ),
    ErrorCode.INTERNAL_ERROR: ("An unexpected error in the worker.", "Retry; if it persists, report it with the job id."),
}


class DocumentError(Exception):
    """A failure that belongs to one document (or, for job-level codes, to the job).

    The message must be safe to show to the caller: never put credentials, signed URLs
    or raw document bytes in it.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}

    def __repr__(self) -> str:
        return f"DocumentError({self.code.value!r}, {self.message!r})"


class JobInputError(ValueError):
    """The job as a whole is unusable (schema violation, too many documents)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message


class FatalWorkerError(Exception):
    """A fault after which this process cannot serve more jobs: the GPU is in an error state,
    or an engine was left broken (its loop died, its memory is gone).

    Unlike :class:`DocumentError` it does not stay with one document: the pipeline stops the
    job there, gives the documents not yet done the ``worker_failed`` error, and the handler
    asks RunPod to replace the worker once the job's output is delivered.
    """

    def __init__(self, message: str = "the process cannot serve more jobs") -> None:
        super().__init__(message)
        self.message = message


#: Text of errors raised by CUDA, its libraries and the engines on it once the device or the
#: context is unusable; PyTorch, vLLM, Paddle and ONNX Runtime raise them as plain exceptions.
_FATAL_MESSAGES = (
    "cuda error",  # PyTorch "CUDA error: ...", Paddle "CUDA error(700)"
    "cuda failure",  # ONNX Runtime's CUDA provider
    "cublas_status",
    "cudnn_status",
    "cusolver_status",
    "device-side assert",
    "illegal memory access",
    "cuda out of memory",  # torch.cuda.OutOfMemoryError's text
    "out of memory error on gpu",  # Paddle's ResourceExhaustedError
    "nccl error",
)
#: Exception classes that mean the same, as (top-level package, class name): matched by name so
#: that nothing GPU-side is imported here.
_FATAL_TYPES = frozenset({
    ("torch", "OutOfMemoryError"),  # torch.cuda.OutOfMemoryError
    ("torch", "AcceleratorError"),  # what newer PyTorch raises for CUDA errors
    ("vllm", "EngineDeadError"),
    ("vllm", "AsyncEngineDeadError"),
})


def _fatal_type(exc: BaseException) -> bool:
    return any((cls.__module__.split(".", 1)[0], cls.__name__) in _FATAL_TYPES for cls in type(exc).__mro__)


def is_fatal(exc: Optional[BaseException]) -> bool:
    """True when ``exc`` (or an exception it was raised from) leaves the process unusable.

    :class:`FatalWorkerError`, CUDA-style errors recognised by their text (``CUDA error``,
    ``CUBLAS_STATUS_...``, ``device-side assert``, ``CUDA out of memory``...) and the GPU
    stacks' own classes for them. Ordinary failures (a bad document, an engine that refused
    one input) are not fatal: they stay with their document.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, FatalWorkerError) or _fatal_type(exc):
            return True
        text = str(exc).casefold()
        if any(marker in text for marker in _FATAL_MESSAGES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def markdown_table() -> str:
    """The error table of the docs (``python -m extraction.errors > docs/errors.md``)."""
    rows = [
        "# Error codes",
        "",
        "Every failed document carries `{\"code\": ..., \"message\": ...}`; the codes are stable.",
        "Generated from `extraction/errors.py` by `python -m extraction.errors > docs/errors.md`.",
        "",
        "| code | meaning | what to do |",
        "| --- | --- | --- |",
    ]
    for code in ErrorCode:
        meaning, action = ERROR_HELP[code]
        rows.append(f"| `{code.value}` | {meaning} | {action} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table(), end="")
