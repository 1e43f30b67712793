"""Bytes -> pages: decoded images for OCR, or text-layer pages straight from a PDF.

Why here and not in the OCR engines: format handling (EXIF orientation, multi-page TIFF,
PDF text layers, limits) is the same whatever engine reads the pixels.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Optional, Sequence, Union

from PIL import Image, ImageOps, ImageSequence

from extraction.settings.limits import Limits
from extraction.errors import DocumentError, ErrorCode
from extraction.formats import DocumentFormat, sniff_format
from extraction.layout import PageText, Word, group_words_into_lines

log = logging.getLogger(__name__)

#: PDFium is not thread-safe: every pypdfium2 call in the process goes through this lock.
PDFIUM_LOCK = threading.RLock()

#: A text layer with fewer visible characters than this is treated as a scan (sent to OCR).
MIN_TEXT_LAYER_CHARS = 16


@dataclass
class PageImage:
    """A page that needs OCR."""

    number: int  # 1-based
    image: Image.Image
    #: ``image``'s size over the received image's: below 1 when a very large JPEG was decoded
    #: at a reduced scale (``MAX_DECODED_SIDE``); boxes are in ``image``'s pixels.
    decoded_scale: float = 1.0


LoadedPage = Union[PageImage, PageText]


@dataclass
class LoadedDocument:
    format: DocumentFormat
    page_count: int  # pages in the file (before `pages` selection)
    pages: list[LoadedPage]
    warnings: list[str] = field(default_factory=list)


def load_document(
    data: bytes,
    *,
    limits: Limits,
    pages: Optional[Sequence[int]] = None,
    dpi: int = 200,
    password: Optional[str] = None,
    render_text_pages: bool = False,
) -> LoadedDocument:
    """Decode ``data`` into pages, applying the page/pixel limits and the ``pages`` selection.

    ``render_text_pages``: also render an image for PDF pages read from their text layer
    (extractors that look at pixels, such as TILT, want one).
    """
    if not data:
        raise DocumentError(ErrorCode.EMPTY_DOCUMENT, "the document is empty")
    if len(data) > limits.max_document_bytes:
        raise DocumentError(ErrorCode.TOO_LARGE, f"document is {len(data)} bytes, over the {limits.max_document_bytes} byte limit")
    fmt = sniff_format(data)
    if fmt is None:
        raise DocumentError(
            ErrorCode.UNSUPPORTED_FORMAT, "unrecognised file format; supported: PDF, JPEG, PNG, TIFF, WebP, BMP, GIF, HEIC/HEIF, AVIF"
        )
    if fmt == "pdf":
        return _load_pdf(data, limits=limits, pages=pages, dpi=dpi, password=password, render_text_pages=render_text_pages)
    return _load_image(data, fmt, limits=limits, pages=pages)


# --------------------------------------------------------------------------- pages selection


def select_pages(page_count: int, pages: Optional[Sequence[int]], limits: Limits) -> list[int]:
    """1-based page numbers to process; errors name what to do."""
    if page_count <= 0:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, "the document has no pages")
    if pages:
        wanted = sorted(set(pages))
        missing = [p for p in wanted if p > page_count]
        if missing:
            raise DocumentError(ErrorCode.INVALID_INPUT, f"options.pages asks for page(s) {missing} but the document has {page_count}")
    else:
        wanted = list(range(1, page_count + 1))
    if len(wanted) > limits.max_pages:
        raise DocumentError(
            ErrorCode.TOO_MANY_PAGES,
            f"{len(wanted)} pages selected, over the limit of {limits.max_pages}; pick pages with options.pages",
        )
    return wanted


# --------------------------------------------------------------------------- images


def _enable_decoder(fmt: DocumentFormat) -> None:
    """HEIF (iPhone photos) is decoded by pillow-heif, registered with Pillow on first use;
    AVIF by Pillow itself when it was built with it."""
    if fmt == "heif":
        try:
            import pillow_heif
        except ImportError:
            raise DocumentError(ErrorCode.UNSUPPORTED_FORMAT, "HEIC/HEIF images need the pillow-heif package on the worker; send a JPEG") from None
        with _HEIF_LOCK:
            pillow_heif.register_heif_opener()
    elif fmt == "avif":
        from PIL import features

        if not features.check("avif"):
            raise DocumentError(ErrorCode.UNSUPPORTED_FORMAT, "this worker's Pillow cannot decode AVIF; send a JPEG")


_HEIF_LOCK = threading.Lock()


#: A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that brings it under the pixel limit.
_JPEG_SCALES = (1, 2, 4, 8)


def _open_image(data: bytes, limits: Limits, fmt: str) -> Image.Image:
    # Pillow's decompression-bomb guard, set deliberately to our own limit (checked again below
    # per frame): headers claiming more pixels are refused before any pixel is decoded. A JPEG
    # may claim up to 64x more: its decoder reads it at 1/8 scale without the full-size pixels.
    headroom = _JPEG_SCALES[-1] ** 2 if fmt == "jpeg" else 1
    Image.MAX_IMAGE_PIXELS = limits.max_page_pixels * headroom
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; we want one rule: our limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DocumentError(ErrorCode.TOO_MANY_PIXELS, f"image is over the {limits.max_page_pixels} pixel limit") from None
        except Exception as exc:  # Pillow's decoders raise many types on damaged files (OSError, KeyError, TypeError, ...)
            raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"image cannot be decoded: {type(exc).__name__}") from None
    if width * height > limits.max_page_pixels and _jpeg_scale(width, height, limits) is None:
        raise DocumentError(
            ErrorCode.TOO_MANY_PIXELS, f"image is {width}x{height} pixels, over the {limits.max_page_pixels} pixel limit"
        )
    return image


def _jpeg_scale(width: int, height: int, limits: Limits) -> Optional[int]:
    """The JPEG decoder's reduction (1, 2, 4 or 8) for a page: the largest that keeps its long
    side at least ``MAX_DECODED_SIDE`` and the smallest that brings it under ``MAX_PAGE_PIXELS``,
    whichever is larger; None when not even 1/8 fits the pixel limit."""
    fits = [k for k in _JPEG_SCALES if (width // k) * (height // k) <= limits.max_page_pixels]
    if not fits:
        return None
    by_side = max(k for k in _JPEG_SCALES if k == 1 or max(width, height) / k >= limits.max_decoded_side)
    return max(fits[0], by_side)


def _frames(image: Image.Image, fmt: str) -> Iterator[Image.Image]:
    if fmt == "tiff":
        yield from ImageSequence.Iterator(image)
    else:  # GIF, WebP: animated files count as their first frame
        yield image


def _load_image(data: bytes, fmt: DocumentFormat, *, limits: Limits, pages: Optional[Sequence[int]]) -> LoadedDocument:
    _enable_decoder(fmt)
    image = _open_image(data, limits, fmt)
    try:
        page_count = getattr(image, "n_frames", 1) if fmt == "tiff" else 1  # counting TIFF pages reads every IFD
    except Exception as exc:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"image cannot be decoded: {type(exc).__name__}") from None
    wanted = set(select_pages(page_count, pages, limits))
    loaded: list[LoadedPage] = []
    try:
        for index, frame in enumerate(_frames(image, fmt), start=1):
            if index not in wanted:
                continue
            scale = _reduce_on_decode(frame, limits) if fmt == "jpeg" else 1.0
            if frame.size[0] * frame.size[1] > limits.max_page_pixels:
                raise DocumentError(ErrorCode.TOO_MANY_PIXELS, f"page {index} is over the {limits.max_page_pixels} pixel limit")
            loaded.append(PageImage(number=index, image=to_rgb(_upright(frame, fmt)), decoded_scale=scale))
    except DocumentError:
        raise
    except Exception as exc:  # as in _open_image: any decoder failure means a damaged file
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"image cannot be decoded: {type(exc).__name__}") from None
    if not loaded:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, "the image has no decodable frame")
    return LoadedDocument(format=fmt, page_count=page_count, pages=loaded)


def _reduce_on_decode(image: Image.Image, limits: Limits) -> float:
    """Ask the JPEG decoder for a 1/2, 1/4 or 1/8 scale copy of a page (:func:`_jpeg_scale`);
    returns the scale (1.0: decoded as received).

    Why: OCR reads a page at 2000 px on its long side at most (RapidOCR's ``max_side_len``),
    but a 4961 x 7016 px scan decoded in full is 104 MB of RGB, copied by every step of page
    preparation before it is reduced: ~400 MB of peak memory for pixels OCR never sees. The
    decoder's own scaling (DCT domain) skips them at no cost and decodes several times faster;
    it also lets a 48-megapixel phone photo in under the pixel limit instead of refusing it.
    Must be called before the image is loaded.
    """
    width, height = image.size
    k = _jpeg_scale(width, height, limits) or 1
    if k == 1:
        return 1.0
    try:
        image.draft(image.mode, (max(1, width // k), max(1, height // k)))
    except Exception:  # noqa: BLE001 - a decoder that cannot scale: decoded as received (and checked)
        return 1.0
    return image.size[0] / width


def _upright(frame: Image.Image, fmt: str) -> Image.Image:
    """The frame turned as its EXIF orientation says.

    Why in place: ``exif_transpose`` otherwise returns a copy even when nothing is turned, and
    a 35-megapixel scan is 140 MB in Pillow, held twice while the page loads. A TIFF's frames
    share one image object (the next page is read into it), so they are still copied.
    """
    if fmt == "tiff":
        return ImageOps.exif_transpose(frame)
    frame.load()
    ImageOps.exif_transpose(frame, in_place=True)
    return frame


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency is flattened onto white (paper)."""
    image.load()
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16/32-bit greyscale: rescale to 8 bits by the image's own range.
        import numpy as np

        array = np.asarray(image, dtype="float64")
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype("uint8"), mode="L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# --------------------------------------------------------------------------- PDFs


def _open_pdf(data: bytes, password: Optional[str]):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        import pypdfium2.raw as pdfium_c

        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            message = "the PDF is encrypted: wrong password" if password else "the PDF is encrypted: pass its 'password'"
            raise DocumentError(ErrorCode.ENCRYPTED_PDF, message) from None
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise DocumentError(ErrorCode.ENCRYPTED_PDF, "the PDF uses an unsupported security handler") from None
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, "the PDF cannot be opened (truncated or damaged)") from None


def _load_pdf(
    data: bytes,
    *,
    limits: Limits,
    pages: Optional[Sequence[int]],
    dpi: int,
    password: Optional[str],
    render_text_pages: bool,
) -> LoadedDocument:
    with PDFIUM_LOCK:
        pdf = _open_pdf(data, password)
        try:
            page_count = len(pdf)
            wanted = select_pages(page_count, pages, limits)
            loaded: list[LoadedPage] = []
            notes: list[str] = []
            for number in wanted:
                try:
                    loaded.append(_load_pdf_page(pdf, number, dpi, limits, render_text_pages, notes))
                except DocumentError:
                    raise
                except Exception as exc:  # pdfium raises bare errors on damaged page trees
                    raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"PDF page {number} cannot be read: {type(exc).__name__}") from None
        finally:
            pdf.close()
    return LoadedDocument(format="pdf", page_count=page_count, pages=loaded, warnings=notes)


def _render_scale(width_pt: float, height_pt: float, dpi: int, limits: Limits, number: int, notes: list[str]) -> float:
    """Points -> pixels at ``dpi``, lowered when the page would exceed the pixel limit."""
    scale = dpi / 72.0
    pixels = width_pt * height_pt * scale * scale
    if pixels > limits.max_page_pixels:
        scale = (limits.max_page_pixels / max(width_pt * height_pt, 1.0)) ** 0.5
        notes.append(f"page {number} rendered at {scale * 72:.0f} dpi instead of {dpi} to stay under the pixel limit")
    return scale


def _load_pdf_page(pdf, number: int, dpi: int, limits: Limits, render_text_pages: bool, notes: list[str]) -> LoadedPage:
    page = pdf[number - 1]
    try:
        width_pt, height_pt = page.get_size()
        if width_pt <= 0 or height_pt <= 0:
            raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"PDF page {number} has no size")
        scale = _render_scale(width_pt, height_pt, dpi, limits, number, notes)
        words = _text_layer_words(page, _PageView.of(page), scale)
        visible_chars = sum(len(w.text) for w in words)
        if visible_chars >= MIN_TEXT_LAYER_CHARS:
            image = _render(page, scale) if render_text_pages else None
            lines = group_words_into_lines(words)
            return PageText(number=number, width=width_pt * scale, height=height_pt * scale, lines=lines, source="text_layer", image=image)
        return PageImage(number=number, image=_render(page, scale))
    finally:
        page.close()


def _render(page, scale: float) -> Image.Image:
    bitmap = page.render(scale=scale, may_draw_forms=True)
    try:
        return bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()


class _PageView(NamedTuple):
    """How PDF user space maps onto the page as displayed (and rendered).

    Character boxes come in user space, before the page's ``/Rotate`` and relative to the
    crop box's origin, while the rendered image and ``get_size`` are the page as displayed.
    Landscape reports are often portrait pages with their content drawn sideways and
    ``/Rotate 90``: read without the rotation, every character lands on a line of its own.
    """

    rotation: int  # clockwise quarter turns applied for display: 0, 90, 180, 270
    left: float  # crop box origin in user space
    bottom: float
    width: float  # crop box size in user space (before the rotation)
    height: float

    @classmethod
    def of(cls, page) -> "_PageView":
        left, bottom, right, top = page.get_cropbox()
        rotation = page.get_rotation() % 360
        return cls(rotation if rotation in (0, 90, 180, 270) else 0, left, bottom, right - left, top - bottom)

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point -> displayed coordinates (points, origin top left, y down)."""
        x, y = x - self.left, y - self.bottom
        if self.rotation == 90:
            return y, x
        if self.rotation == 180:
            return self.width - x, y
        if self.rotation == 270:
            return self.height - y, self.width - x
        return x, self.height - y

    def box(self, left: float, bottom: float, right: float, top: float, scale: float) -> tuple[float, float, float, float]:
        (u0, v0), (u1, v1) = self.point(left, bottom), self.point(right, top)
        return min(u0, u1) * scale, min(v0, v1) * scale, max(u0, u1) * scale, max(v0, v1) * scale

    def boxes(self, raw, scale: float):
        """:meth:`box` of many ``(left, bottom, right, top)`` rows at once (a numpy array)."""
        import numpy as np

        u0, v0 = self.point(raw[:, 0], raw[:, 1])
        u1, v1 = self.point(raw[:, 2], raw[:, 3])
        return np.stack([np.minimum(u0, u1) * scale, np.minimum(v0, v1) * scale, np.maximum(u0, u1) * scale, np.maximum(v0, v1) * scale], axis=1)


def _loose_char_boxes(textpage, indexes: list[int]):
    """``(left, bottom, right, top)`` of each character's font box, as ``textpage.get_charbox(i,
    loose=True)`` gives them, into one array: pdfium is called directly with one reused rectangle
    (the helper allocates a rectangle and checks per call, a third of a page's reading time)."""
    import numpy as np
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()  # four floats: left, top, right, bottom
    get_box, raw = pdfium_c.FPDFText_GetLooseCharBox, textpage.raw
    chunks = []
    for index in indexes:
        if not get_box(raw, index, rect):
            raise pdfium.PdfiumError("Failed to get charbox.")  # as the helper does
        chunks.append(bytes(rect))
    ltrb = np.frombuffer(b"".join(chunks), dtype=np.float32).reshape(-1, 4).astype(np.float64)
    return ltrb[:, [0, 3, 2, 1]]


def _text_layer_words(page, view: _PageView, scale: float) -> list[Word]:
    """Words with pixel boxes from the PDF text layer (chars grouped on whitespace and gaps).

    A character starts a new word after a blank, or when it is off the previous character's row
    or too far from it (more than 0.6 x the line height ahead, or 2 x behind). The geometry is
    worked out for all characters at once (arrays): a page holds thousands of them, and this
    is most of a text-layer page's reading time.
    """
    import numpy as np

    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        # get_text_range may expand ligatures or drop chars; index only while lengths agree.
        chars = text if len(text) == count else [textpage.get_text_range(index, 1) for index in range(count)]
        kept = [index for index, char in enumerate(chars) if char and not char.isspace() and char not in "\ufffe\x00"]
        if not kept:
            return []
        boxes = view.boxes(_loose_char_boxes(textpage, kept), scale)
        prev, cur = boxes[:-1], boxes[1:]
        height = np.maximum(np.maximum(prev[:, 3] - prev[:, 1], cur[:, 3] - cur[:, 1]), 1.0)
        same_row = np.abs((prev[:, 1] + prev[:, 3]) / 2 - (cur[:, 1] + cur[:, 3]) / 2) < 0.6 * height
        gap = cur[:, 0] - prev[:, 2]
        positions = np.asarray(kept)
        after_blank = positions[1:] != positions[:-1] + 1
        breaks = after_blank | ~same_row | (gap > 0.6 * height) | (gap < -2 * height)
        starts = np.concatenate(([0], np.flatnonzero(breaks) + 1))
        lefts = np.minimum.reduceat(boxes[:, 0], starts).tolist()
        tops = np.minimum.reduceat(boxes[:, 1], starts).tolist()
        rights = np.maximum.reduceat(boxes[:, 2], starts).tolist()
        bottoms = np.maximum.reduceat(boxes[:, 3], starts).tolist()
        ends = [*starts[1:].tolist(), len(kept)]
        return [
            Word(text="".join(chars[kept[k]] for k in range(start, stop)), bbox=(lefts[w], tops[w], rights[w], bottoms[w]))
            for w, (start, stop) in enumerate(zip(starts.tolist(), ends))
        ]
    finally:
        textpage.close()
