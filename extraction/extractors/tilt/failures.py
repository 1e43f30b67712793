"""What a failure of the fork's preprocessor means for the caller, by what really raised it.

The conversion (``convert.py``) already removes the conditions the preprocessor rejects (no
word, no page, a question over the limit is caught before), so anything it still raises is
reported as what it is, not guessed from its type: only the question-length ``RuntimeError``
(``TiltQuestionProcessor.process``) is the caller's to fix.
"""

from __future__ import annotations

from extraction.errors import DocumentError, ErrorCode

#: Start of the message of ``TiltQuestionProcessor.process`` for a question over the limit.
QUESTION_TOO_LONG = "Tokenized question has length"


def preprocess_error(exc: BaseException) -> DocumentError:
    """The document's error for an exception from ``TiltPreprocessor.preprocess``."""
    text = str(exc)
    if isinstance(exc, RuntimeError) and text.startswith(QUESTION_TOO_LONG):
        return DocumentError(ErrorCode.INVALID_INPUT, f"a question is too long for TILT: {text}")
    return DocumentError(
        ErrorCode.EXTRACTION_FAILED,
        f"TILT could not prepare this document ({type(exc).__name__}: {text[:200]})",
    )
