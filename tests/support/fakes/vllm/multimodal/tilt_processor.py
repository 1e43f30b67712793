"""Fake ``vllm.multimodal.tilt_processor``: same classes and signatures, strict input checks.

Checks what the fork's preprocessor (vllm/multimodal/tilt_processor.py) needs, and where it
fails silently, fails loudly so tests catch it: boxes and page size in one unit; page images
with the page's aspect ratio; image modes as ``TiltImageProcessor`` takes them ("L" and "RGB"
are read right, 2- and 4-channel modes raise like its ``ensure_grayscale`` view, "1", "P",
"I", "F" and 16-bit are accepted there but divided by 255 as if 8-bit: an AssertionError
here); an image taller than ``max_image_height`` after the resize to ``image_width`` is
cropped there: recorded in ``CROPPED`` for the tests. IndexError for a document with no token,
ValueError for no pages, RuntimeError for a question over ``max_question_length`` tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from PIL.Image import Image

_PIECE = re.compile(r"\s*(?:\w{1,4}|[^\w\s])")


def pieces(text: str) -> list[str]:
    """Sub-word pieces; concatenated they give back ``text`` without trailing blanks."""
    return _PIECE.findall(text)


def piece_id(piece: str) -> int:
    return 2 + sum(ord(c) * (i + 1) for i, c in enumerate(piece.strip())) % 32000


@dataclass
class Encoding:
    ids: list[int]
    tokens: list[str]
    word_ids: list  # index of the source word per token (None for special tokens)


class FakeTokenizer:
    """The subset of ``tokenizers.Tokenizer`` used: encode, encode_batch, to_str."""

    eos_id = 1

    def encode(self, sequence: str, pair: Any = None, is_pretokenized: bool = False, add_special_tokens: bool = True) -> Encoding:
        words = list(sequence) if is_pretokenized else [sequence]
        toks: list[str] = []
        word_ids: list = []
        for i, word in enumerate(words):
            word_pieces = pieces(word)
            toks.extend(word_pieces)
            word_ids.extend([i if is_pretokenized else 0] * len(word_pieces))
        ids = [piece_id(t) for t in toks]
        if add_special_tokens:
            ids.append(self.eos_id)
            toks.append("</s>")
            word_ids.append(None)
        return Encoding(ids=ids, tokens=toks, word_ids=word_ids)

    def encode_batch(self, input: list, is_pretokenized: bool = False, add_special_tokens: bool = True) -> list[Encoding]:  # noqa: A002
        return [self.encode(s, is_pretokenized=is_pretokenized, add_special_tokens=add_special_tokens) for s in input]

    def to_str(self) -> str:
        return "{}"


@dataclass
class Page:
    words: list[str]
    bboxes: list
    width: float
    height: float
    image: Image


@dataclass
class Document:
    ident: str
    pages: list[Page]
    split: Optional[str] = None


@dataclass
class Question:
    feature_name: str
    text: str


@dataclass
class FakeTiltPrompt:
    """Stands in for the real ``TiltPrompt`` (encoder prefix = question, encoder = document)."""

    document_ident: str
    feature_name: str
    question_text: str
    question_tokens: int
    encoder_tokens: int
    pages: int


def _check_page(i: int, page: Page, image_width: int = 768, max_image_height: int = 2048) -> None:
    if not isinstance(page, Page):
        raise TypeError(f"page {i}: expected Page, got {type(page).__name__}")
    if len(page.words) != len(page.bboxes):
        raise ValueError(f"page {i}: zip() argument 2 is shorter/longer than argument 1")
    if not (page.width > 0 and page.height > 0):
        raise ValueError(f"page {i}: width and height must be positive")
    if page.width <= 1.0 and page.height <= 1.0:
        raise AssertionError(f"page {i}: 0..1 normalised page size distorts the aspect ratio; use pixels or points")
    tol_w, tol_h = page.width * 0.01, page.height * 0.01
    for box in page.bboxes:
        if len(box) != 4:
            raise ValueError(f"page {i}: a box needs 4 numbers, got {box!r}")
        x1, y1, x2, y2 = (float(v) for v in box)
        if x1 > x2 or y1 > y2:
            raise AssertionError(f"page {i}: box {box!r} is not (x1, y1, x2, y2)")
        if x1 < -tol_w or y1 < -tol_h or x2 > page.width + tol_w or y2 > page.height + tol_h:
            raise AssertionError(
                f"page {i}: box {box!r} is outside the {page.width}x{page.height} page: boxes and page size in different units"
            )
    image = page.image
    if not isinstance(image, Image):
        raise TypeError(f"page {i}: image must be a PIL image (a white 'L' image when there is none)")
    channels = len(image.getbands())
    if channels not in (1, 3):  # ensure_grayscale: image.view(3, -1) then view(1, H, W)
        raise RuntimeError(f"shape '[1, {image.height}, {image.width}]' is invalid for input of size {channels * image.height * image.width // 3}")
    if image.mode not in ("L", "RGB"):
        raise AssertionError(f"page {i}: image mode {image.mode!r} is read as 8-bit by TILT (mis-scaled); convert to 'L' first")
    page_ratio = page.height / page.width
    image_ratio = image.height / image.width
    if abs(image_ratio - page_ratio) > 0.02 * page_ratio + 1.0 / image.width:
        raise AssertionError(f"page {i}: image aspect {image_ratio:.3f} differs from page aspect {page_ratio:.3f}")
    if round(image_ratio * image_width) > max_image_height:
        CROPPED.append((i, image_ratio))


#: (page index, aspect) of every page whose image the real preprocessor would crop.
CROPPED: list = []


class TiltPreprocessor:
    def __init__(self, tokenizer: FakeTokenizer, max_length: int = 4096, max_question_length: Optional[int] = 256,
                 image_limit: int = 250, image_width: int = 768, max_image_height: int = 2048, crop_bboxes: bool = True,
                 filter_empty_tokens: bool = True, prefix_separator: str = " : ") -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.max_question_length = max_question_length
        self.image_limit = image_limit
        self.image_width = image_width
        self.max_image_height = max_image_height
        self.prefix_separator = prefix_separator
        self.calls: list[tuple[Document, list[Question]]] = []

    @classmethod
    def from_config(cls, model_config: Any, tokenizer: Any) -> "TiltPreprocessor":
        return cls(
            tokenizer=tokenizer,
            max_length=model_config.max_seq_length,
            max_question_length=model_config.max_question_length,
            image_limit=model_config.image_limit,
            image_width=model_config.image_width,
            max_image_height=model_config.max_image_height,
            crop_bboxes=model_config.crop_bboxes,
            prefix_separator=model_config.prefix_separator,
        )

    def preprocess(self, document: Document, questions: list[Question]) -> list[FakeTiltPrompt]:
        self.calls.append((document, list(questions)))
        prefix_lengths = []
        for q in questions:  # questions first, like the real one
            if not isinstance(q, Question):
                raise TypeError(f"expected Question, got {type(q).__name__}")
            n = len(self.tokenizer.encode(q.text + self.prefix_separator, add_special_tokens=False).ids)
            if self.max_question_length and n > self.max_question_length:
                raise RuntimeError(
                    f"Tokenized question has length {n} which is more than maximum permitted length {self.max_question_length}."
                )
            prefix_lengths.append(n)
        if not isinstance(document, Document):
            raise TypeError(f"expected Document, got {type(document).__name__}")
        if not document.pages:
            raise ValueError("An empty document should have been caught earlier and never get to this point.")
        if len(document.pages) > self.image_limit:
            raise AssertionError("pages past image_limit get no image and may break the runner: cap pages")
        tokens = 0
        for i, page in enumerate(document.pages):
            _check_page(i, page, self.image_width, self.max_image_height)
            words = [w for w in page.words if w.strip()]
            tokens += len(self.tokenizer.encode(words, is_pretokenized=True, add_special_tokens=False).ids)
        if tokens == 0:
            raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
        tokens = min(tokens, self.max_length)
        return [
            FakeTiltPrompt(document.ident, q.feature_name, q.text, n, tokens, len(document.pages))
            for q, n in zip(questions, prefix_lengths)
        ]
