"""DocumentText -> ``tilt_processor.Document``: words (not lines), one unit, mode "L" images.

The rules come from the fork's ``vllm/multimodal/tilt_processor.py`` (checked on CPU by
``benchmarks/tilt_contract_check.py``): boxes and page size must share a unit (page pixels
here; boxes are clamped to the page and scaled by its width), the page image must cover the
page with the same aspect ratio, and only 1-channel ("L") and 3-channel ("RGB") images are
read right (RGBA/LA/CMYK raise in ``ensure_grayscale``; "1", "P" and 16-bit are divided by 255
as if they were 8-bit), so every image is sent as 8-bit "L". A document needs at least one
token. Pages and tokens are capped here because the preprocessor only truncates at the
model's 125k tokens and drops images silently past its page limit; pages taller than the
image crop are sent as bands (``tall_pages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from PIL import Image

from extraction.extractors.tilt.tall_pages import Band, bands, words_in
from extraction.layout import DocumentText, PageText, Word

#: TILT resizes every page image to this width (the model config's ``image_width``).
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


def page_image(page: PageText, band: Optional[Band] = None) -> Image.Image:
    """The page image (or one band of it) as TILT wants it: mode "L", same aspect, 768 px wide."""
    band = band or Band(0.0, page.height)
    ratio = band.height / page.width
    if page.image is None:
        return Image.new("L", (TILT_IMAGE_WIDTH, max(1, round(TILT_IMAGE_WIDTH * ratio))), color=255)
    image = to_grayscale(page.image)
    if band.top > 0 or band.bottom < page.height:
        scale = image.height / page.height
        top = min(image.height - 1, max(0, round(band.top * scale)))
        bottom = max(top + 1, min(image.height, round(band.bottom * scale)))
        image = image.crop((0, top, image.width, bottom))
    # Exactly TILT's width: the fork then skips its own resize, whose bicubic upscaling of a
    # narrow image overshoots the 0..1 pixel range (PIL's resize clips to 0..255).
    size = (TILT_IMAGE_WIDTH, max(1, round(TILT_IMAGE_WIDTH * ratio)))
    if image.size != size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return image


def _clamp_box(word: Word, page: PageText, band: Band) -> tuple[float, float, float, float]:
    """The word's box in the band's frame, inside the band (the fork clamps to the page anyway)."""
    x1, y1, x2, y2 = word.bbox
    w, h = page.width, band.height
    x1, x2 = sorted((min(max(x1, 0.0), w), min(max(x2, 0.0), w)))
    y1, y2 = sorted((min(max(y1 - band.top, 0.0), h), min(max(y2 - band.top, 0.0), h)))
    return (x1, y1, x2, y2)


def to_tilt_document(
    doc_id: str,
    text: DocumentText,
    processor: Any,
    *,
    max_pages: int,
    max_tokens: int,
    count_tokens: Callable[[Sequence[str]], list[int]],
    max_page_ratio: Optional[float] = None,
    max_splits: int = 4,
    max_tilt_pages: int = 250,
) -> ConvertedDocument:
    """Build the TILT ``Document`` for ``text``.

    ``processor`` is the ``vllm.multimodal.tilt_processor`` module (passed in so this module
    never imports vllm); ``count_tokens`` returns the token count of each word. A page taller
    than ``max_page_ratio`` (height/width) is sent as up to ``max_splits`` bands; no more than
    ``max_tilt_pages`` TILT pages are sent. Raises :class:`NoWordsError` when nothing is left.
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
        page_words = [w for w in page.words if w.text.strip()]
        if not page_words:
            continue
        page_bands, cropped = bands(page, max_page_ratio, max_splits)
        if cropped and max_page_ratio is not None:
            warnings.append(
                f"page {page.number} is taller than TILT's image crop allows in {len(page_bands)} parts; "
                "its bottom has no image features"
            )
        for index, band in enumerate(page_bands):
            if len(tilt_pages) >= max_tilt_pages:
                truncated = True
                break
            words = words_in(band, page_words, last=index == len(page_bands) - 1)
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
            if words and sum(counts[:keep]) > 0:
                tilt_pages.append(
                    processor.Page(
                        words=[w.text for w in words],
                        bboxes=[_clamp_box(w, page, band) for w in words],
                        width=float(page.width),
                        height=float(band.height),
                        image=page_image(page, band),
                    )
                )
                located.extend(LocatedWord(page.number, w) for w in words)
            if truncated:
                break
        if truncated:
            warnings.append(
                f"TILT read the document up to {used_tokens} tokens, ending on page {page.number} (cap: {max_tokens} "
                f"tokens from TILT_MAX_DOC_TOKENS and the engine's encoder and KV limits, {max_tilt_pages} TILT pages); "
                "later text was ignored"
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

