"""DocumentText -> ``tilt_processor.Document``: words (not lines), one unit, mode "L" images.

The rules come from the TILT preprocessor: boxes and page size must share a unit (page
pixels here), the page image must cover the page with the same aspect ratio and be mode
"L" (RGBA/CMYK raise, "1" and 16-bit are mis-scaled), a document needs at least one
non-blank word. Pages and tokens are capped here because the preprocessor only truncates at
the model's 125k tokens and drops images silently past its page limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from PIL import Image

from extraction.layout import DocumentText, PageText, Word

#: TILT resizes every page image to this width; sending more pixels only costs memory.
TILT_IMAGE_WIDTH = 768


class NoWordsError(ValueError):
    """The document has no non-blank word: the model must not be called."""


@dataclass
class LocatedWord:
    page: int  # 1-based page number of the source document
    word: Word


@dataclass
class ConvertedDocument:
    document: Any  # tilt_processor.Document
    words: list[LocatedWord]  # the words sent, in order, for locating answers
    tokens: int
    pages_sent: int
    warnings: list[str] = field(default_factory=list)


def to_grayscale(image: Image.Image) -> Image.Image:
    """Mode "L" with white where the source is transparent, 8-bit even from 16-bit/float input."""
    mode = image.mode
    if mode == "L":
        return image
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("L")
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        import numpy as np  # noqa: PLC0415

        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) * (255.0 / (hi - lo))
        return Image.fromarray(np.rint(scaled).clip(0, 255).astype("uint8"))
    if mode == "CMYK":
        return image.convert("RGB").convert("L")
    return image.convert("L")  # "1", "P", "RGB", "YCbCr", ...


def page_image(page: PageText) -> Image.Image:
    """The page image as TILT wants it: mode "L", page aspect ratio, at most 768 px wide."""
    ratio = page.height / page.width
    if page.image is None:
        return Image.new("L", (TILT_IMAGE_WIDTH, max(1, round(TILT_IMAGE_WIDTH * ratio))), color=255)
    image = to_grayscale(page.image)
    width = min(image.width, TILT_IMAGE_WIDTH)
    size = (width, max(1, round(width * ratio)))
    if image.size != size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return image


def _clamp_box(word: Word, page: PageText) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = word.bbox
    w, h = page.width, page.height
    x1, x2 = sorted((min(max(x1, 0.0), w), min(max(x2, 0.0), w)))
    y1, y2 = sorted((min(max(y1, 0.0), h), min(max(y2, 0.0), h)))
    return (x1, y1, x2, y2)


def to_tilt_document(
    doc_id: str,
    text: DocumentText,
    processor: Any,
    *,
    max_pages: int,
    max_tokens: int,
    count_tokens: Callable[[Sequence[str]], list[int]],
) -> ConvertedDocument:
    """Build the TILT ``Document`` for ``text``.

    ``processor`` is the ``vllm.multimodal.tilt_processor`` module (passed in so this module
    never imports vllm); ``count_tokens`` returns the token count of each word.
    Raises :class:`NoWordsError` when nothing is left to send.
    """
    warnings: list[str] = []
    pages = [p for p in text.pages if p.width > 0 and p.height > 0]
    if len(pages) > max_pages:
        warnings.append(
            f"TILT read the first {max_pages} of {len(pages)} pages (TILT_MAX_PAGES); later pages were ignored"
        )
        pages = pages[:max_pages]

    tilt_pages: list[Any] = []
    located: list[LocatedWord] = []
    used_tokens = 0
    truncated = False
    for page in pages:
        words = [w for w in page.words if w.text.strip()]
        if not words:
            continue
        counts = count_tokens([w.text for w in words])
        keep = 0
        for n in counts:
            if used_tokens + n > max_tokens:
                truncated = True
                break
            used_tokens += n
            keep += 1
        words = words[:keep]
        if words:
            tilt_pages.append(
                processor.Page(
                    words=[w.text for w in words],
                    bboxes=[_clamp_box(w, page) for w in words],
                    width=float(page.width),
                    height=float(page.height),
                    image=page_image(page),
                )
            )
            located.extend(LocatedWord(page.number, w) for w in words)
        if truncated:
            warnings.append(
                f"TILT read the document up to {max_tokens} tokens (TILT_MAX_DOC_TOKENS), "
                f"ending on page {page.number}; later text was ignored"
            )
            break
    if not tilt_pages:
        raise NoWordsError(f"document {doc_id!r} has no words to read")
    return ConvertedDocument(
        document=processor.Document(ident=doc_id, pages=tilt_pages),
        words=located,
        tokens=used_tokens,
        pages_sent=len(tilt_pages),
        warnings=warnings,
    )


def token_counter(tokenizer: Any) -> Callable[[Sequence[str]], list[int]]:
    """Per-word token counts, measured the way the preprocessor tokenizes a page.

    The preprocessor encodes a page's words in one pre-tokenized call; ``word_ids`` maps each
    token back to its word, so the counts add up to exactly what the model will see.
    """

    def count(words: Sequence[str]) -> list[int]:
        if not words:
            return []
        encoding = tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=False)
        counts = [0] * len(words)
        for word_id in encoding.word_ids:
            if word_id is not None and 0 <= word_id < len(counts):
                counts[word_id] += 1
        return counts

    return count


def question_tokens(tokenizer: Any, text: str, prefix_separator: str = " : ") -> int:
    """Token length of a question as the preprocessor measures it (text + separator)."""
    return len(tokenizer.encode(text + prefix_separator, add_special_tokens=False).ids)

